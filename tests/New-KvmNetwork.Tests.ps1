BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'New-KvmNetwork on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 2
        $script:Lab = Get-KvmLab
        $script:H = $Lab.hosts[0]
        $script:S = Connect-LabHost $Lab
        $script:P = 'knw' + (Get-Random -Maximum 9999)
        Invoke-KvmLabCommand $H.name virsh, net-start, default -IgnoreExitCode | Out-Null
        function Get-Networks { Invoke-KvmLabCommand $H.name 'sh', '-c', 'virsh net-list --all --name | sort; ip -o link show type bridge | cut -d: -f2 | tr -d " "' }
    }

    AfterAll {
        Disconnect-KvmHost -All
        Clear-LabGuests $H.name "${P}g"
        Invoke-KvmLabCommand $H.name 'sh', '-c', "for n in `$(virsh net-list --all --name | grep '^$P'); do virsh net-destroy `$n; virsh net-undefine `$n; done; true" | Out-Null
    }

    It '-WhatIf shows the XML and the virsh commands, and defines nothing' {
        $before = Get-Networks
        $out = Get-WhatIfText { New-KvmNetwork -Session $S -Name "${P}w" -WhatIf }
        $out | Should -Match "Define libvirt network ${P}w \(Nat, 192\.168\.\d+\.0/24"
        $out | Should -Match '<forward mode="nat" />'
        $out | Should -Match "virsh -c qemu:///system net-start ${P}w"
        Get-Networks | Should -Be $before
    }

    It 'makes a started, autostarted NAT network on a free subnet, and a guest on it gets a lease' {
        $n = New-KvmNetwork -Session $S -Name "${P}nat" -PassThru
        $n.Name | Should -Be "${P}nat"
        $n.ForwardMode | Should -Be 'nat'
        $n.Active | Should -BeTrue
        $n.Autostart | Should -BeTrue
        $n.Subnet | Should -Not -Be '192.168.122.0/24'
        $n.Subnet | Should -Match '^192\.168\.\d+\.0/24$'
        $n.DhcpRange | Should -Match '^192\.168\.\d+\.2-192\.168\.\d+\.254$'
        $n.Bridge | Should -Match '^virbr\d+$'
        Invoke-KvmLabCommand $H.name 'sh', '-c', "ip -4 -o addr show dev $($n.Bridge) | tr -s ' ' | cut -d' ' -f4" | Should -Be "$($n.IPAddress)/24"

        $tiny = Initialize-TinyGuest
        $g = New-KvmGuest -Session $S -Name "${P}g1" -MemoryBytes 128MB -Network $n.Name -KernelPath $tiny.Kernel -InitrdPath $tiny.Initrd -KernelArguments $tiny.Cmdline -Graphics None -Start -PassThru -WarningAction SilentlyContinue
        $ready = Wait-KvmGuest -Session $S -Name $g.Name -ForIPAddress -Timeout 120 -PassThru
        $ip = $ready.NetworkAdapters[0].IPAddresses | Select-Object -First 1
        $ip | Should -Match ('^' + [regex]::Escape($n.IPAddress.Substring(0, $n.IPAddress.LastIndexOf('.') + 1)))
    }

    It 'makes an isolated network with a given subnet, bridge and DHCP range, not autostarted' {
        $n = New-KvmNetwork -Session $S -Name "${P}iso" -Mode Isolated -IPAddress 10.77.0.1/24 -DhcpRange 10.77.0.100-10.77.0.150 -Bridge "${P}br" -NoAutostart -PassThru -Confirm:$false
        $n.ForwardMode | Should -Be 'isolated'
        $n.Subnet | Should -Be '10.77.0.0/24'
        $n.DhcpRange | Should -Be '10.77.0.100-10.77.0.150'
        $n.Bridge | Should -Be "${P}br"
        $n.Autostart | Should -BeFalse
        (Get-KvmBridge -Session $S -Name "${P}br").Backend | Should -Be 'Libvirt'
    }

    It 'refuses a taken name, an overlapping subnet or a hostile name, and defines nothing' -TestCases @(
        @{ Params = @{ Name = 'default' }; Id = 'NetworkExists' }
        @{ Params = @{ Name = 'PFXo'; IPAddress = '192.168.122.5/24' }; Id = 'SubnetInUse' }
        @{ Params = @{ Name = 'PFXo'; IPAddress = '10.77.0.200/16' }; Id = 'SubnetInUse' }
        @{ Params = @{ Name = 'PFX;touch /tmp/kvmps-canary' }; Id = 'InvalidNetworkName' }
        @{ Params = @{ Name = 'PFX$(touch /tmp/kvmps-canary)' }; Id = 'InvalidNetworkName' }
        @{ Params = @{ Name = 'PFXb'; Bridge = 'virbr0' }; Id = 'BridgeConflict' }
        @{ Params = @{ Name = 'PFXd'; IPAddress = '10.78.0.1/24'; DhcpRange = '10.79.0.2-10.79.0.9' }; Id = 'InvalidDhcpRange' }
    ) {
        param($Params, $Id)
        $Params.Name = $Params.Name.Replace('PFX', $P)
        $before = Get-Networks
        New-KvmNetwork -Session $S @Params -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        Get-Networks | Should -Be $before
        Invoke-KvmLabCommand $H.name 'sh', '-c', 'test -e /tmp/kvmps-canary && echo RAN; true' | Should -BeNullOrEmpty
    }
}
