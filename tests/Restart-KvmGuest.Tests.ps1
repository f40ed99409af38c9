BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Restart-KvmGuest on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 1
        $script:Lab = Get-KvmLab
        $script:S = Connect-LabHost $Lab
        $script:P = New-GuestPrefix 'restart'
        New-LabGuests kvm1 $P -Count 2 -Start
        Invoke-KvmLabCommand kvm1 virsh, destroy, "${P}2" | Out-Null
    }

    AfterAll {
        Disconnect-KvmHost -All
        Clear-LabGuests kvm1 $P
    }

    It 'resets a running guest with -Force: same domain, running again' {
        $before = Get-KvmGuest -Session $S -Name "${P}1"
        $after = Restart-KvmGuest -Session $S -Name "${P}1" -Force -PassThru -Confirm:$false
        $after.State | Should -Be 'Running'
        $after.Uuid | Should -Be $before.Uuid
        $after.Id | Should -Be $before.Id -Because 'a reset keeps the QEMU process'
    }

    It 'asks the guest to reboot through ACPI without -Force' {
        Restart-KvmGuest -Session $S -Name "${P}1" -Confirm:$false -Verbose 4>&1 | Out-String | Should -BeLike "*virsh -c qemu:///system reboot *"
    }

    It 'refuses a guest that is off' {
        Restart-KvmGuest -Session $S -Name "${P}2" -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'GuestNotRunning,*'
        (Get-KvmGuest -Session $S -Name "${P}2").State | Should -Be 'ShutOff'
    }
}
