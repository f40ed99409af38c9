BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

# kvm1's eth0 (its only link to the client) becomes br0 over the very SSH session that asks for
# it. The lab host has neither NetworkManager nor network-scripts: the iproute2 backend.
Describe 'New-KvmBridge with iproute2 on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 2
        $script:Lab = Get-KvmLab
        $script:H = $Lab.hosts[0]
        Reset-LabNetwork $Lab -DefaultRoute
        $script:S = Connect-LabHost $Lab
        $script:P = New-GuestPrefix 'nbr'
        $script:Canary = "/tmp/kvmps-canary-$(Get-Random)"
        # A free Ethernet-like NIC (a veth end) for the refusals that come after the NIC's checks.
        Invoke-KvmLabCommand $H.name 'sh', '-c', 'ip link add nbrspare type veth peer name nbrspare1' | Out-Null
        # State dirs and timer processes of bridge changes on this host (no pid namespace in the lab).
        $script:LeftOvers = 'ls -d /var/run/kvmps-bridge-* 2>/dev/null; me=$(readlink /proc/self/ns/net); for p in $(pgrep -f "[k]vmps-bridge-"); do [ "$p" != $$ ] && [ "$(readlink /proc/$p/ns/net)" = "$me" ] && echo "process $p: $(tr "\\0" " " </proc/$p/cmdline)"; done; true'
    }

    AfterAll {
        Set-BridgeConnectivityCut $false
        Disconnect-KvmHost -All
        Clear-LabGuests $H.name $P
        Reset-LabNetwork $Lab
        Invoke-KvmLabCommand $H.name 'sh', '-c', 'ip link del nbrspare; true' | Out-Null
    }

    It '-WhatIf shows every command and the rollback, and changes nothing' {
        $before = Get-LabNetworkState $H.name
        $out = Get-WhatIfText { New-KvmBridge -Session $S -InterfaceName eth0 -WhatIf -WarningAction SilentlyContinue }
        $out | Should -Match "Bridge br0 from eth0 with IpRoute \(until the next reboot\); addressing: $([regex]::Escape($H.address))/24, gateway $([regex]::Escape($Lab.gateway))"
        $out | Should -Match 'ip link set dev eth0 master br0'
        $out | Should -Match "ip addr replace $([regex]::Escape($H.address))/24 dev eth0"
        Get-LabNetworkState $H.name | Should -Be $before
    }

    It 'makes br0 from eth0 over SSH, verified on a new connection, while the session stays usable' {
        $b = New-KvmBridge -Session $S -InterfaceName eth0 -PassThru -Confirm:$false -WarningVariable warned -WarningAction SilentlyContinue -Verbose 4>&1 |
            Tee-Object -Variable all | Where-Object { $_ -is [KvmPS.KvmBridge] }
        $b.Name | Should -Be 'br0'
        $b.Ports | Should -Be @('eth0')
        $b.IPAddresses | Should -Be @("$($H.address)/24")
        $b.Backend | Should -Be 'IpRoute'
        $b.Persistent | Should -BeFalse
        ($warned -join "`n") | Should -Match 'gone after the next reboot'
        # Gateway and DNS answered before, and again after the change.
        ($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match "gateway $([regex]::Escape($Lab.gateway)) dns $([regex]::Escape($Lab.gateway)) < bridge-check\.sh"
        Invoke-KvmLabCommand $H.name 'sh', '-c', 'cat /sys/class/net/eth0/master/uevent | grep INTERFACE; ip route show default | sed "s/ *$//"' | Should -Be @('INTERFACE=br0', "default via $($Lab.gateway) dev br0")
        # The same session goes on working, and no timer or state is left behind.
        (Get-KvmBridge -Session $S -Name br0).Ports | Should -Be @('eth0')
        $S.State | Should -Be 'Opened'
        # apply.sh writes its exit code as its last step: give its process a moment to be gone.
        $left = $null
        foreach ($try in 1..15) { $left = Invoke-KvmLabCommand $H.name 'sh', '-c', $LeftOvers; if (-not $left) { break }; Start-Sleep -Milliseconds 200 }
        $left | Should -BeNullOrEmpty
    }

    It 'returns the same bridge unchanged when it exists already' {
        $before = Get-LabNetworkState $H.name
        $b = New-KvmBridge -Session $S -InterfaceName eth0 -PassThru -Confirm:$false -Verbose 4>&1 | Tee-Object -Variable all | Where-Object { $_ -is [KvmPS.KvmBridge] }
        $b.Name | Should -Be 'br0'
        $b.Ports | Should -Be @('eth0')
        ($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'already exists with eth0 as a port: nothing to do'
        ($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Not -Match 'bridge-arm'
        Get-LabNetworkState $H.name | Should -Be $before
    }

    It 'refuses bad input before anything changes, and no name reaches a shell' -TestCases @(
        @{ Params = @{ Name = "br0;touch $Canary"; InterfaceName = 'eth0' }; Id = 'InvalidInterfaceName' }
        @{ Params = @{ Name = 'br9'; InterfaceName = "`$(touch $Canary)" }; Id = 'InvalidInterfaceName' }
        @{ Params = @{ Name = "br`n9"; InterfaceName = 'eth0' }; Id = 'InvalidInterfaceName' }
        @{ Params = @{ Name = 'brü'; InterfaceName = 'eth0' }; Id = 'InvalidInterfaceName' }
        @{ Params = @{ Name = 'br9'; InterfaceName = 'eth7' }; Id = 'InterfaceNotFound' }
        @{ Params = @{ Name = 'br9'; InterfaceName = 'eth0' }; Id = 'InterfaceEnslaved' }
        @{ Params = @{ Name = 'br0'; InterfaceName = 'lo' }; Id = 'BridgeConflict' }
        @{ Params = @{ Name = 'br9'; InterfaceName = 'br0' }; Id = 'InterfaceNotBridgeable' }
        @{ Params = @{ Name = 'br9'; InterfaceName = 'nbrspare'; IPAddress = '198.18.0.300/24' }; Id = 'InvalidIPAddress' }
        @{ Params = @{ Name = 'br9'; InterfaceName = 'nbrspare'; IPAddress = '198.18.0.5/24'; Gateway = '10.0.0.1' }; Id = 'GatewayNotOnSubnet' }
        @{ Params = @{ Name = 'br9'; InterfaceName = 'nbrspare'; Backend = 'NetworkManager' }; Id = 'BackendUnavailable' }
        @{ Params = @{ Name = 'br9'; InterfaceName = 'nbrspare'; Dhcp = $true }; Id = 'DhcpNeedsBackend' }
    ) {
        param($Params, $Id)
        $before = Get-LabNetworkState $H.name
        New-KvmBridge -Session $S @Params -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $failed[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        Get-LabNetworkState $H.name | Should -Be $before
        Invoke-KvmLabCommand $H.name 'sh', '-c', "test -e $Canary && echo RAN; true" | Should -BeNullOrEmpty
    }

    It 'refuses contradicting parameters as a whole before touching any host' {
        { New-KvmBridge -Session $S -InterfaceName eth0 -Dhcp -IPAddress 192.0.2.5/24 -Confirm:$false } | Should -Throw -ErrorId 'InvalidBridgeParameters,*'
        { New-KvmBridge -Session $S -InterfaceName eth0 -Gateway 192.0.2.1 -Confirm:$false } | Should -Throw -ErrorId 'InvalidBridgeParameters,*'
        { New-KvmBridge -Session $S -InterfaceName eth0 -IPAddress 192.0.2.5 -Confirm:$false } | Should -Throw -ErrorId 'InvalidBridgeParameters,*'
    }

    It 'carries a guest: its interface is a port of the new bridge' {
        $g = New-KvmGuest -Session $S -Name "${P}g" -MemoryBytes 64MB -DiskSizeBytes 8MB -Bridge br0 -Start -PassThru -WarningAction SilentlyContinue
        $tap = (Get-KvmGuest -Session $S -Name $g.Name).NetworkAdapters[0].Device
        $tap | Should -Not -BeNullOrEmpty
        $b = Get-KvmBridge -Session $S -Name br0
        $b.GuestInterfaces | Should -Be @($tap)
        $b.Ports | Should -Be @('eth0', $tap)
        Invoke-KvmLabCommand $H.name 'sh', '-c', "cat /sys/class/net/$tap/master/uevent | grep INTERFACE" | Should -Be 'INTERFACE=br0'
        Remove-KvmGuest -Session $S -Name $g.Name -Force -Confirm:$false
    }
}

# The lock-out test: a change that cuts the host off (its bridge taken down at the end of the
# change, through a test hook) is rolled back by the host itself, and the host answers again.
Describe 'New-KvmBridge lock-out trials with iproute2' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 2
        $script:Lab = Get-KvmLab
        $script:H = $Lab.hosts[0]
        Reset-LabNetwork $Lab -DefaultRoute
        $script:S = Connect-LabHost $Lab
        $script:Trials = [System.Collections.Generic.List[object]]::new()
    }

    AfterAll {
        Set-BridgeConnectivityCut $false
        Disconnect-KvmHost -All
        Reset-LabNetwork $Lab
        Write-LockoutTrials 'bridge-lockout-iproute' $Trials -Expected 10
    }

    It 'trial <_>: the cut is rolled back and the host answers a new connection as before' -ForEach (1..10) {
        $seconds = Invoke-BridgeLockoutTrial -ErrorId BridgeNotApplied {
            New-KvmBridge -Session $S -InterfaceName eth0 -RollbackTimeout 10 -Confirm:$false -WarningAction SilentlyContinue -ErrorAction Stop
        }
        $fresh = Connect-LabHost $Lab
        try { (Get-KvmBridge -Session $fresh).Name | Should -Not -Contain 'br0' }
        finally { Disconnect-KvmHost -Session $fresh }
        $state = Invoke-KvmLabCommand $H.name 'sh', '-c', 'ip -4 -o addr show dev eth0 | tr -s " " | cut -d" " -f4; ip route show default | sed "s/ *$//"; ls -d /var/run/kvmps-bridge-* 2>/dev/null; true'
        $state | Should -Be @("$($H.address)/24", "default via $($Lab.gateway) dev eth0")
        $Trials.Add([pscustomobject]@{ Backend = 'IpRoute'; Trial = $_; Recovered = $true; Seconds = $seconds })
    }
}

# NetworkManager really running in kvm2 (tests/lab/nm-host.sh), eth0 managed by a keyfile profile.
Describe 'New-KvmBridge with NetworkManager on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 2
        $script:Lab = Get-KvmLab
        $script:H = $Lab.hosts[1]
        Start-LabNetworkManager $Lab -Index 1
        $script:S = Connect-LabHost $Lab -Index 1
        $script:Trials = [System.Collections.Generic.List[object]]::new()
    }

    AfterAll {
        Set-BridgeConnectivityCut $false
        Disconnect-KvmHost -All
        Stop-LabNetworkManager $Lab -Index 1
        Write-LockoutTrials 'bridge-lockout-networkmanager' $Trials -Expected 10
    }

    It '-WhatIf shows the nmcli commands and the rollback, and changes nothing' {
        $before = Get-LabNmProfiles $H.name
        $out = Get-WhatIfText { New-KvmBridge -Session $S -InterfaceName eth0 -WhatIf }
        $out | Should -Match "Bridge br0 from eth0 with NetworkManager \(persistent\); addressing: $([regex]::Escape($H.address))/24, gateway $([regex]::Escape($Lab.gateway))"
        $out | Should -Match "nmcli connection add type bridge con-name br0 ifname br0 .*ipv4\.method manual ipv4\.addresses $([regex]::Escape($H.address))/24 ipv4\.gateway"
        $out | Should -Match 'nmcli connection add type bridge-slave con-name br0-port-eth0 ifname eth0 master br0'
        $out | Should -Match 'nmcli --wait 60 connection up br0'
        Get-LabNmProfiles $H.name | Should -Be $before
    }

    It 'makes br0 with nmcli profiles, keeps the NIC''s profile switched off, and the session stays usable' {
        $b = New-KvmBridge -Session $S -InterfaceName eth0 -PassThru -Confirm:$false
        $b.Backend | Should -Be 'NetworkManager'
        $b.Persistent | Should -BeTrue
        $b.Definition | Should -Be '/etc/NetworkManager/system-connections/br0.nmconnection'
        $b.Ports | Should -Be @('eth0')
        $b.IPAddresses | Should -Be @("$($H.address)/24")
        $profiles = Get-LabNmProfiles $H.name
        $profiles | Should -Contain 'br0:bridge:yes:br0'
        $profiles | Should -Contain 'br0-port-eth0:802-3-ethernet:yes:eth0'
        $profiles | Should -Contain 'eth0:802-3-ethernet:no:'
        $profiles | Should -Contain "br0 $($H.address)/24"
        (Get-KvmBridge -Session $S -Name br0).Ports | Should -Be @('eth0')
        Invoke-KvmLabCommand $H.name 'sh', '-c', 'ls -d /var/run/kvmps-bridge-* 2>/dev/null; true' | Should -BeNullOrEmpty
    }

    It 'returns the same bridge unchanged when it exists already' {
        $before = Get-LabNmProfiles $H.name
        (New-KvmBridge -Session $S -InterfaceName eth0 -PassThru -Confirm:$false).Backend | Should -Be 'NetworkManager'
        Get-LabNmProfiles $H.name | Should -Be $before
    }

    It 'lock-out trial <_>: the cut is rolled back and NetworkManager has the NIC''s profile active again' -ForEach (1..10) {
        if ((Get-KvmBridge -Session $S).Name -contains 'br0') {
            Remove-KvmBridge br0 -Session $S -Confirm:$false
        }

        $seconds = Invoke-BridgeLockoutTrial -ErrorId BridgeNotApplied {
            New-KvmBridge -Session $S -InterfaceName eth0 -RollbackTimeout 12 -Confirm:$false -ErrorAction Stop
        }
        $profiles = Get-LabNmProfiles $H.name
        $profiles | Should -Be @('eth0:802-3-ethernet:yes:eth0', 'eth0.nmconnection', "eth0 $($H.address)/24")
        $Trials.Add([pscustomobject]@{ Backend = 'NetworkManager'; Trial = $_; Recovered = $true; Seconds = $seconds })
    }
}
