BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Suspend-KvmGuest on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 1
        $script:Lab = Get-KvmLab
        $script:S = Connect-LabHost $Lab
        $script:P = New-GuestPrefix 'suspend'
        New-LabGuests kvm1 $P -Count 3 -Start
        Invoke-KvmLabCommand kvm1 virsh, destroy, "${P}3" | Out-Null
    }

    AfterAll {
        Disconnect-KvmHost -All
        Clear-LabGuests kvm1 $P
    }

    It 'pauses running guests and skips paused ones' {
        $paused = Suspend-KvmGuest -Session $S -Name "${P}1", "${P}2" -PassThru -Confirm:$false
        $paused.State | Sort-Object -Unique | Should -Be 'Paused'
        @((Invoke-KvmLabCommand kvm1 virsh, domstate, "${P}1") | Where-Object { $_ })[0] | Should -Be 'paused'
        Suspend-KvmGuest -Session $S -Name "${P}1" -Verbose 4>&1 | Out-String | Should -BeLike '*already paused*'
    }

    It 'refuses a guest that is off' {
        Suspend-KvmGuest -Session $S -Name "${P}3" -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'GuestNotRunning,*'
    }
}
