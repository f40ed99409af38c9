BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Wait-KvmGuest on a lab host, with a real tiny guest' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 1
        $script:Lab = Get-KvmLab
        $script:S = Connect-LabHost $Lab
        $script:P = New-GuestPrefix 'wait'
        $script:Tiny = Initialize-TinyGuest
        Invoke-KvmLabCommand kvm1 virsh, net-start, default -IgnoreExitCode | Out-Null
        New-KvmGuest -Session $S -Name "${P}os" -MemoryBytes 128MB -KernelPath $Tiny.Kernel -InitrdPath $Tiny.Initrd -KernelArguments $Tiny.Cmdline `
            -Network default -Graphics None -Start -WarningAction SilentlyContinue
        New-LabGuests kvm1 "${P}bare" -Count 1
    }

    AfterAll {
        Disconnect-KvmHost -All
        Clear-LabGuests kvm1 $P
    }

    It 'waits until the guest has an IP address from DHCP, and returns it with the address' {
        $g = Wait-KvmGuest -Session $S -Name "${P}os" -ForIPAddress -Timeout 120 -PassThru
        $g.IPAddresses.Count | Should -BeGreaterThan 0
        $g.IPAddresses[0] | Should -Match '^192\.168\.122\.\d+$'
        $g.NetworkAdapters[0].IPAddresses | Should -Be $g.IPAddresses
        # The address is real: the guest's web server answers on it from inside the host.
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        do {
            $page = Invoke-KvmLabCommand kvm1 'curl', '-s', '--max-time', '3', "http://$($g.IPAddresses[0])/" -IgnoreExitCode -PassThru
        } until ($page.ExitCode -eq 0 -or [DateTime]::UtcNow -gt $deadline)
        $page.StdOut | Should -BeLike "*$($g.Uuid)*"
    }

    It 'returns at once for a guest already in the state' {
        (Wait-KvmGuest -Session $S -Name "${P}os" -State Running -Timeout 5 -PassThru).State | Should -Be 'Running'
    }

    It 'gives up after -Timeout with one error per guest' {
        Wait-KvmGuest -Session $S -Name "${P}bare1" -State Running -Timeout 2 -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'WaitTimedOut,*'
        $failed[0].Exception.Message | Should -BeLike '*within 2 s*shut off*'
    }

    It 'learns the address of a guest on a bridge from its guest agent (no DHCP lease, no ARP entry there)' {
        Invoke-KvmLabCommand kvm1 'sh', '-c', 'ip link add waitbr0 type bridge && ip link set waitbr0 up' | Out-Null
        try {
            New-KvmGuest -Session $S -Name "${P}br" -MemoryBytes 128MB -KernelPath $Tiny.Kernel -InitrdPath $Tiny.Initrd `
                -KernelArguments "$($Tiny.Cmdline) kvmps.ip=203.0.113.77/24" -Bridge waitbr0 -Graphics None -Start -WarningAction SilentlyContinue | Out-Null
            $g = Wait-KvmGuest -Session $S -Name "${P}br" -ForIPAddress -Timeout 120 -PassThru
            $g.IPAddresses | Should -Be @('203.0.113.77')
            (Get-KvmGuest -Session $S -Name "${P}br").NetworkAdapters[0].IPAddresses | Should -Be @('203.0.113.77')
            # The host itself has no way to see it: no lease, no neighbour entry.
            Invoke-KvmLabCommand kvm1 'sh', '-c', 'virsh domifaddr "$1" --source arp; virsh domifaddr "$1" --source lease', 'x', "${P}br" |
                Should -Not -Match '203\.0\.113\.77'
        }
        finally {
            Invoke-KvmLabCommand kvm1 'sh', '-c', 'virsh destroy "$1"; virsh undefine "$1"; ip link del waitbr0; true', 'x', "${P}br" -IgnoreExitCode | Out-Null
        }
    }

    It 'waits for a guest to shut down after an ACPI request (the tiny guest powers off)' {
        Invoke-KvmLabCommand kvm1 virsh, shutdown, "${P}os" | Out-Null
        (Wait-KvmGuest -Session $S -Name "${P}os" -State ShutOff -Timeout 60 -PassThru).State | Should -Be 'ShutOff'
    }
}
