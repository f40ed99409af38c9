BeforeDiscovery {
    . "$PSScriptRoot/../tests/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/../tests/common.ps1"
    Import-KvmPSUnderTest
    $script:Runbook = Join-Path $PSScriptRoot 'Initialize-KvmHost.ps1'
}

# The KvmPS cmdlets are mocked; the runbook's decisions are what is tested.
Describe 'Initialize-KvmHost.ps1 decisions (KvmPS mocked)' {
    BeforeAll {
        # Test-KvmCapability's output for one host: a result per check, then the summary.
        function script:New-Capability([string]$ComputerName, [hashtable]$Status) {
            foreach ($check in $Status.Keys) {
                [KvmPS.KvmCapabilityResult]@{ ComputerName = $ComputerName; Check = $check; Status = $Status[$check]; Detail = 'from the test' }
            }
            $failed = @($Status.Keys | Where-Object { $Status[$_] -eq 'Fail' })
            [KvmPS.KvmCapabilitySummary]@{ ComputerName = $ComputerName; IsCapable = $failed.Count -eq 0; Acceleration = 'KVM'; FailedChecks = $failed }
        }
        $script:Healthy = @{ CpuVirtualization = 'Pass'; Acceleration = 'Pass'; LibvirtInstalled = 'Pass'; LibvirtDaemon = 'Pass'; DefaultNetwork = 'Pass' }
    }

    BeforeEach {
        $script:Calls = 0
        Mock Install-KvmHost { New-Capability $ComputerName $Healthy }
        Mock New-KvmBridge { [KvmPS.KvmBridge]@{ ComputerName = $ComputerName; Name = $Name; Ports = @($InterfaceName) } }
        Mock Get-KvmBridge { }
    }

    It 'installs only where a check Install-KvmHost fixes is not Pass, then reports the checks it fixed' {
        Mock Test-KvmCapability {
            if ($ComputerName -eq 'new1' -and $script:Calls++ -eq 0) { New-Capability new1 @{ CpuVirtualization = 'Pass'; Acceleration = 'Pass'; LibvirtInstalled = 'Fail'; LibvirtDaemon = 'Fail'; DefaultNetwork = 'Warn' } }
            else { New-Capability $ComputerName $Healthy }
        }
        $r = & $Runbook -ComputerName new1, ok1 -Confirm:$false
        $r.ComputerName | Should -Be 'new1', 'ok1'
        $r.Status | Should -Be 'Ready', 'Ready'
        $r.Install | Should -Be 'Ran', 'NotNeeded'
        $r[0].Fixed | Sort-Object | Should -Be 'DefaultNetwork', 'LibvirtDaemon', 'LibvirtInstalled'
        $r[0].PSObject.TypeNames[0] | Should -Be 'KvmPS.Runbook.HostInitialization'
        Should -Invoke Install-KvmHost -Times 1 -Exactly -ParameterFilter { $ComputerName -eq 'new1' }
        # Checked before, and again after the install; ok1 only once.
        Should -Invoke Test-KvmCapability -Times 2 -Exactly -ParameterFilter { $ComputerName -eq 'new1' }
        Should -Invoke Test-KvmCapability -Times 1 -Exactly -ParameterFilter { $ComputerName -eq 'ok1' }
        Should -Invoke New-KvmBridge -Times 0
    }

    It 'makes the bridge only where it is missing, with the NIC and name given' {
        Mock Test-KvmCapability { New-Capability $ComputerName $Healthy }
        Mock Get-KvmBridge { if ($ComputerName -eq 'has') { [KvmPS.KvmBridge]@{ ComputerName = 'has'; Name = 'br0'; Ports = @('eth0', 'vnet0') } } }
        $r = & $Runbook -ComputerName has, lacks -InterfaceName eth0 -Confirm:$false
        $r.Bridge | Should -Be 'Present', 'Created'
        $r.Status | Should -Be 'Ready', 'Ready'
        Should -Invoke New-KvmBridge -Times 1 -Exactly -ParameterFilter { $ComputerName -eq 'lacks' -and $Name -eq 'br0' -and $InterfaceName -eq 'eth0' }
    }

    It 'refuses a bridge of that name without the NIC, reports the host Failed and goes on' {
        Mock Test-KvmCapability { New-Capability $ComputerName $Healthy }
        Mock Get-KvmBridge { if ($ComputerName -eq 'odd') { [KvmPS.KvmBridge]@{ ComputerName = 'odd'; Name = 'br1'; Ports = @('eth1') } } }
        $r = & $Runbook -ComputerName odd, fine -InterfaceName eth0 -BridgeName br1 -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Failed', 'Ready'
        $r[0].Error | Should -BeLike '*br1 exists on odd without eth0*'
        # Only odd's error reaches the error stream (PowerShell also lists the caught one: same text).
        $messages = @($errs | ForEach-Object { "$_" } | Sort-Object -Unique)
        $messages.Count | Should -Be 1
        $messages[0] | Should -BeLike '*br1 exists on odd without eth0*'
        Should -Invoke New-KvmBridge -Times 1 -Exactly -ParameterFilter { $ComputerName -eq 'fine' -and $Name -eq 'br1' }
    }

    It 'reports a host it cannot reach as Failed, with the error' {
        Mock Test-KvmCapability { if ($ComputerName -eq 'gone') { throw [System.TimeoutException]'no answer from gone' } else { New-Capability $ComputerName $Healthy } }
        $r = & $Runbook -ComputerName gone, fine -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Failed', 'Ready'
        $r[0].Error | Should -Be 'Checking capability: no answer from gone'
        Should -Invoke Install-KvmHost -Times 0
    }

    It 'passes -WhatIf to every cmdlet that changes the host, and claims nothing was done' {
        Mock Test-KvmCapability { New-Capability $ComputerName @{ LibvirtInstalled = 'Fail' } }
        Mock Install-KvmHost { }
        Mock New-KvmBridge { }
        $r = & $Runbook -ComputerName new1 -InterfaceName eth0 -WhatIf
        $r.Status | Should -Be 'WhatIf'
        $r.Install | Should -Be 'WhatIf'
        $r.Bridge | Should -Be 'WhatIf'
        Should -Invoke Install-KvmHost -Times 1 -Exactly -ParameterFilter { $WhatIf }
        Should -Invoke New-KvmBridge -Times 1 -Exactly -ParameterFilter { $WhatIf }
        Should -Invoke Install-KvmHost -Times 0 -ParameterFilter { -not $WhatIf }
        Should -Invoke New-KvmBridge -Times 0 -ParameterFilter { -not $WhatIf }
    }

    It 'does not claim an install or a bridge whose prompt was declined' {
        Mock Test-KvmCapability { New-Capability $ComputerName @{ LibvirtInstalled = 'Fail' } }
        Mock Install-KvmHost { }
        Mock New-KvmBridge { }
        $r = & $Runbook -ComputerName new1 -InterfaceName eth0
        $r.Install | Should -Be 'NotConfirmed'
        $r.Bridge | Should -Be 'NotConfirmed'
        $r.Status | Should -Be 'NotReady'
        $r.FailedChecks | Should -Be 'LibvirtInstalled'
    }

    It 'counts a host without hardware acceleration as Ready only with -AllowSoftwareEmulation' {
        Mock Test-KvmCapability { New-Capability $ComputerName @{ CpuVirtualization = 'Fail'; Acceleration = 'Fail'; LibvirtInstalled = 'Pass' } }
        (& $Runbook -ComputerName tcg1).Status | Should -Be 'NotReady'
        (& $Runbook -ComputerName tcg1 -AllowSoftwareEmulation).Status | Should -Be 'Ready'
        Mock Test-KvmCapability { New-Capability $ComputerName @{ Acceleration = 'Fail'; Cgroups = 'Fail' } }
        (& $Runbook -ComputerName tcg1 -AllowSoftwareEmulation).Status | Should -Be 'NotReady'
    }
}

# kvm3 of the lab: libvirt installed, the default network inactive and no storage pool (what
# Install-KvmHost fixes), eth0 its only link to this machine. Software emulation only.
Describe 'Initialize-KvmHost.ps1 on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 3
        $script:Lab = Get-KvmLab
        $script:H = $Lab.hosts[2]
        Reset-LabNetwork $Lab -Index 2 -DefaultRoute
        $script:S = Connect-LabHost $Lab 2
        Invoke-KvmLabCommand $H.name 'sh', '-c', 'virsh net-destroy default; virsh pool-destroy default; virsh pool-undefine default; true' -IgnoreExitCode | Out-Null
    }

    AfterAll {
        Disconnect-KvmHost -All
        Reset-LabNetwork $Lab -Index 2
    }

    It '-WhatIf changes nothing on the host' {
        $before = Get-LabNetworkState $H.name
        $r = & $Runbook -Session $S -InterfaceName eth0 -AllowSoftwareEmulation -WhatIf -WarningAction SilentlyContinue
        $r.Status | Should -Be 'WhatIf'
        $r.Install | Should -Be 'WhatIf'
        $r.Bridge | Should -Be 'WhatIf'
        Get-LabNetworkState $H.name | Should -Be $before
        (Invoke-KvmLabCommand $H.name virsh, net-info, default) -join "`n" | Should -Match 'Active:\s+no'
    }

    It 'installs what is missing, bridges eth0 into br0 and reports the host ready' {
        $r = & $Runbook -Session $S -InterfaceName eth0 -AllowSoftwareEmulation -Confirm:$false -WarningAction SilentlyContinue
        $r.Error | Should -BeNullOrEmpty
        $r.Status | Should -Be 'Ready'
        $r.Install | Should -Be 'Ran'
        $r.Bridge | Should -Be 'Created'
        $r.Acceleration | Should -Be 'TCG'
        $r.Fixed | Should -Contain 'DefaultNetwork'
        $r.Fixed | Should -Contain 'DefaultStoragePool'
        $r.FailedChecks | Should -Be 'CpuVirtualization', 'Acceleration'
        # The host agrees.
        Invoke-KvmLabCommand $H.name 'sh', '-c', 'cat /sys/class/net/eth0/master/uevent | grep INTERFACE' | Should -Be 'INTERFACE=br0'
        (Invoke-KvmLabCommand $H.name virsh, pool-info, default) -join "`n" | Should -Match 'State:\s+running'
    }

    It 'changes nothing the second time' {
        $before = Get-LabNetworkState $H.name
        $r = & $Runbook -Session $S -InterfaceName eth0 -AllowSoftwareEmulation -Confirm:$false -WarningAction SilentlyContinue
        $r.Status | Should -Be 'Ready'
        $r.Bridge | Should -Be 'Present'
        $r.Fixed | Should -BeNullOrEmpty
        Get-LabNetworkState $H.name | Should -Be $before
    }
}
