BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Resume-KvmGuest on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 1
        $script:Lab = Get-KvmLab
        $script:S = Connect-LabHost $Lab
        $script:P = New-GuestPrefix 'resume'
        New-LabGuests kvm1 $P -Count 3 -Start
        Invoke-KvmLabCommand kvm1 virsh, suspend, "${P}1" | Out-Null
        Invoke-KvmLabCommand kvm1 virsh, destroy, "${P}3" | Out-Null
    }

    AfterAll {
        Disconnect-KvmHost -All
        Clear-LabGuests kvm1 $P
    }

    It 'resumes a paused guest, skips a running one, and refuses one that is off' {
        $out = Resume-KvmGuest -Session $S -Name "${P}*" -PassThru -ErrorVariable failed -ErrorAction SilentlyContinue
        ($out | Where-Object Name -eq "${P}1").State | Should -Be 'Running'
        ($out | Where-Object Name -eq "${P}2").State | Should -Be 'Running'
        @($failed).Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'GuestNotPaused,*'
        $failed[0].TargetObject.Name | Should -Be "${P}3"
    }
}
