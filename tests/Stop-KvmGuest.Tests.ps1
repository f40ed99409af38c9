BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Stop-KvmGuest on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 1
        $script:Lab = Get-KvmLab
        $script:S = Connect-LabHost $Lab
        $script:P = New-GuestPrefix 'stop'
        New-LabGuests kvm1 $P -Count 21 -Start
    }

    AfterAll {
        Disconnect-KvmHost -All
        Clear-LabGuests kvm1 $P
    }

    It 'waits -Timeout for an ACPI shutdown the guest ignores, then says so and leaves it running' {
        # These guests have no operating system: nothing answers the ACPI request.
        $g = Stop-KvmGuest -Session $S -Name "${P}1" -Timeout 2 -PassThru -ErrorVariable failed -ErrorAction SilentlyContinue
        $g | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'ShutdownTimedOut,*'
        $failed[0].Exception.Message | Should -BeLike '*within 2 s*'
        $failed[0].ErrorDetails.RecommendedAction | Should -BeLike '*-Force*'
        (Get-KvmGuest -Session $S -Name "${P}1").State | Should -Be 'Running'
    }

    It 'powers off 20 guests at once with -Force' {
        $stopped = Get-KvmGuest -Session $S -Name "${P}*" | Where-Object Name -ne "${P}21" | Stop-KvmGuest -Force -PassThru -Confirm:$false
        @($stopped).Count | Should -Be 20
        $stopped.State | Sort-Object -Unique | Should -Be 'ShutOff'
        (Get-KvmGuest -Session $S -Name "${P}21").State | Should -Be 'Running'
    }

    It 'skips guests that are already off and refuses a graceful stop of a paused one' {
        Stop-KvmGuest -Session $S -Name "${P}2" -Force -Verbose 4>&1 | Out-String | Should -BeLike '*already off*'
        Invoke-KvmLabCommand kvm1 virsh, suspend, "${P}21" | Out-Null
        Stop-KvmGuest -Session $S -Name "${P}21" -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'GuestNotRunning,*'
        (Stop-KvmGuest -Session $S -Name "${P}21" -Force -PassThru).State | Should -Be 'ShutOff'
    }
}
