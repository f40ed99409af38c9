BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Start-KvmGuest on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 1
        $script:Lab = Get-KvmLab
        $script:S = Connect-LabHost $Lab
        $script:P = New-GuestPrefix 'start'
        New-LabGuests kvm1 $P -Count 22
        function script:State($Name) { ((Invoke-KvmLabCommand kvm1 virsh, domstate, $Name) | Where-Object { $_ } | Select-Object -First 1).Trim() }
    }

    AfterAll {
        Disconnect-KvmHost -All
        Clear-LabGuests kvm1 $P
    }

    It 'does nothing with -WhatIf' {
        Start-KvmGuest -Session $S -Name "${P}1" -WhatIf
        State "${P}1" | Should -Be 'shut off'
    }

    It 'starts 22 guests from the pipeline in one batch per host and returns them' {
        $verbose = Get-KvmGuest -Session $S -Name "$P*" | Start-KvmGuest -PassThru -Verbose 4>&1
        $started = $verbose | Where-Object { $_ -is [KvmPS.KvmGuest] }
        @($started).Count | Should -Be 22
        $started.State | Sort-Object -Unique | Should -Be 'Running'
        (Invoke-KvmLabCommand kvm1 virsh, list, --name | Where-Object { $_ -like "$P*" }).Count | Should -Be 22
        # One inventory, then one batch: 22 virsh start commands and the inventory for -PassThru.
        $commands = @($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like '`[*' })
        @($commands | Where-Object Message -like '*virsh -c qemu:///system start *').Count | Should -Be 22
    }

    It 'skips a guest that already runs, without error' {
        Start-KvmGuest -Session $S -Name "${P}1" -ErrorVariable failed -Verbose 4>&1 | Out-String | Should -BeLike '*already running*'
        $failed | Should -BeNullOrEmpty
    }

    It 'resumes a paused guest' {
        Invoke-KvmLabCommand kvm1 virsh, suspend, "${P}2" | Out-Null
        (Start-KvmGuest -Session $S -Name "${P}2" -PassThru).State | Should -Be 'Running'
    }

    It 'reports one error per guest that fails while the others start' {
        Invoke-KvmLabCommand kvm1 virsh, destroy, "${P}3" | Out-Null
        Invoke-KvmLabCommand kvm1 virsh, destroy, "${P}4" | Out-Null
        # Break one guest: a disk whose file does not exist (libvirt accepts it, QEMU cannot start).
        $xml = (Invoke-KvmLabCommand kvm1 virsh, dumpxml, "${P}4") -join "`n"
        $broken = $xml -replace '<devices>', "<devices><disk type='file' device='disk'><source file='/nonexistent/${P}4.qcow2'/><target dev='vda' bus='virtio'/></disk>"
        Invoke-KvmLabCommand kvm1 virsh, define, /dev/stdin -InputText $broken | Out-Null
        $out = Start-KvmGuest -Session $S -Name "${P}3", "${P}4" -PassThru -ErrorVariable failed -ErrorAction SilentlyContinue
        $out.Name | Should -Be "${P}3"
        @($failed).Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'GuestActionFailed,*'
        $failed[0].TargetObject.Name | Should -Be "${P}4"
        State "${P}3" | Should -Be 'running'
    }

    It 'needs a name or guests from the pipeline' {
        { Start-KvmGuest -Session $S -ErrorAction Stop } | Should -Throw -ErrorId 'GuestNotSpecified,KvmPS.Commands.StartKvmGuestCommand'
    }
}
