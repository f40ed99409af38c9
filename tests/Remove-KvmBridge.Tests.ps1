BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Remove-KvmBridge with iproute2 on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 2
        $script:Lab = Get-KvmLab
        $script:H = $Lab.hosts[0]
        Reset-LabNetwork $Lab -DefaultRoute
        $script:S = Connect-LabHost $Lab
        $script:P = New-GuestPrefix 'rbr'
        $script:Trials = [System.Collections.Generic.List[object]]::new()
        Invoke-KvmLabCommand $H.name virsh, net-start, default -IgnoreExitCode | Out-Null
        $null = New-KvmBridge -Session $S -InterfaceName eth0 -Confirm:$false -WarningAction SilentlyContinue
    }

    AfterAll {
        Set-BridgeConnectivityCut $false
        Disconnect-KvmHost -All
        Clear-LabGuests $H.name $P
        Reset-LabNetwork $Lab
        Write-LockoutTrials 'bridge-removal-lockout-iproute' $Trials -Expected 3
    }

    It 'refuses what it must not remove, before anything changes' -TestCases @(
        @{ Name = 'nosuchbr'; Id = 'BridgeNotFound' }
        @{ Name = 'virbr0'; Id = 'BridgeOwnedByLibvirt' }
        @{ Name = 'br0;reboot'; Id = 'InvalidInterfaceName' }
        @{ Name = '$(reboot)'; Id = 'InvalidInterfaceName' }
    ) {
        param($Name, $Id)
        $before = Get-LabNetworkState $H.name
        Remove-KvmBridge -Session $S -Name $Name -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        Get-LabNetworkState $H.name | Should -Be $before
    }

    It 'refuses while a guest is attached, and -Force removes it anyway with a warning' {
        $g = New-KvmGuest -Session $S -Name "${P}g" -MemoryBytes 64MB -DiskSizeBytes 8MB -Bridge br0 -Start -PassThru -WarningAction SilentlyContinue
        $tap = (Get-KvmGuest -Session $S -Name $g.Name).NetworkAdapters[0].Device
        $before = Get-LabNetworkState $H.name
        Remove-KvmBridge -Session $S -Name br0 -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'BridgeInUse,*'
        $failed[0].Exception.Message | Should -Match ([regex]::Escape($tap))
        Get-LabNetworkState $H.name | Should -Be $before

        Remove-KvmBridge -Session $S -Name br0 -Force -Confirm:$false -WarningVariable warned -WarningAction SilentlyContinue
        ($warned -join "`n") | Should -Match "-Force: the guest interfaces $([regex]::Escape($tap)) lose their network"
        (Get-KvmBridge -Session $S).Name | Should -Not -Contain 'br0'
        Remove-KvmGuest -Session $S -Name $g.Name -Force -Confirm:$false
        $null = New-KvmBridge -Session $S -InterfaceName eth0 -Confirm:$false -WarningAction SilentlyContinue
    }

    It '-WhatIf shows the commands and the rollback, and changes nothing' {
        $before = Get-LabNetworkState $H.name
        $out = Get-WhatIfText { Remove-KvmBridge -Session $S -Name br0 -WhatIf }
        $out | Should -Match "Remove bridge br0 \(IpRoute\); eth0 gets its addressing back: $([regex]::Escape($H.address))/24, gateway $([regex]::Escape($Lab.gateway))"
        $out | Should -Match 'ip link del dev br0'
        $out | Should -Match 'ip link set dev eth0 master br0'
        Get-LabNetworkState $H.name | Should -Be $before
    }

    It 'moves the addressing back to the NIC from the pipeline, verified on a new connection' {
        Get-KvmBridge -Session $S -Name br0 | Remove-KvmBridge -Confirm:$false
        Get-LabNetworkState $H.name | Should -Be @('virbr0', "eth0 $($H.address)/24", 'virbr0 192.168.122.1/24', "default via $($Lab.gateway) dev eth0")
        $S.State | Should -Be 'Opened'
        (Get-KvmBridge -Session $S).Name | Should -Not -Contain 'br0'
    }

    It 'lock-out trial <_>: a removal that cuts the host off is rolled back and the bridge is back' -ForEach (1..3) {
        if ((Get-KvmBridge -Session $S).Name -notcontains 'br0') {
            $null = New-KvmBridge -Session $S -InterfaceName eth0 -Confirm:$false -WarningAction SilentlyContinue
        }

        $seconds = Invoke-BridgeLockoutTrial -ErrorId BridgeNotRemoved {
            Remove-KvmBridge -Session $S -Name br0 -RollbackTimeout 10 -Confirm:$false -ErrorAction Stop
        }
        $b = Get-KvmBridge -Session $S -Name br0
        $b.Ports | Should -Be @('eth0')
        $b.IPAddresses | Should -Be @("$($H.address)/24")
        Invoke-KvmLabCommand $H.name 'sh', '-c', 'ip route show default | sed "s/ *$//"' | Should -Be "default via $($Lab.gateway) dev br0"
        $Trials.Add([pscustomobject]@{ Backend = 'IpRoute'; Trial = $_; Recovered = $true; Seconds = $seconds })
    }
}

Describe 'Remove-KvmBridge with NetworkManager on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 2
        $script:Lab = Get-KvmLab
        $script:H = $Lab.hosts[1]
        Start-LabNetworkManager $Lab -Index 1
        $script:S = Connect-LabHost $Lab -Index 1
        $script:Trials = [System.Collections.Generic.List[object]]::new()
        $null = New-KvmBridge -Session $S -InterfaceName eth0 -Confirm:$false
        $script:Bridged = Get-LabNmProfiles $H.name
    }

    AfterAll {
        Set-BridgeConnectivityCut $false
        Disconnect-KvmHost -All
        Stop-LabNetworkManager $Lab -Index 1
        Write-LockoutTrials 'bridge-removal-lockout-networkmanager' $Trials -Expected 3
    }

    It 'lock-out trial <_>: a removal that cuts the host off puts the bridge''s profiles back' -ForEach (1..3) {
        $seconds = Invoke-BridgeLockoutTrial -ErrorId BridgeNotRemoved {
            Remove-KvmBridge -Session $S -Name br0 -RollbackTimeout 12 -Confirm:$false -ErrorAction Stop
        }
        Get-LabNmProfiles $H.name | Should -Be $Bridged
        $Trials.Add([pscustomobject]@{ Backend = 'NetworkManager'; Trial = $_; Recovered = $true; Seconds = $seconds })
    }

    It 'deletes the bridge''s profiles and gives the NIC''s profile the addressing, switched on again' {
        $Bridged | Should -Contain 'br0:bridge:yes:br0'
        Remove-KvmBridge -Session $S -Name br0 -Confirm:$false
        Get-LabNmProfiles $H.name | Should -Be @('eth0:802-3-ethernet:yes:eth0', 'eth0.nmconnection', "eth0 $($H.address)/24")
        Invoke-KvmLabCommand $H.name 'sh', '-c', 'ip route show default | cut -d" " -f1-5' | Should -Be "default via $($Lab.gateway) dev eth0"
    }
}
