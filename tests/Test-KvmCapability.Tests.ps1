BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
    $script:CheckIds = 'CpuVirtualization', 'HostVirtualization', 'NestedVirtualization', 'KernelVersion', 'KvmModule', 'KvmDevice',
        'Acceleration', 'VhostNet', 'Tun', 'Iommu', 'Cgroups', 'LibvirtInstalled', 'QemuInstalled', 'LibvirtDaemon',
        'DefaultNetwork', 'DefaultStoragePool', 'Memory', 'ImageStorage', 'SELinux', 'HostNameResolution', 'DefaultGateway', 'DnsServers'
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Test-KvmCapability parameters' {
    It 'refuses an unknown check and lists the valid ones' {
        { Test-KvmCapability -Check 'NoSuchCheck' -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownCheck,KvmPS.Commands.TestKvmCapabilityCommand'
        try { Test-KvmCapability -Check 'NoSuchCheck' -ErrorAction Stop } catch { $_.ErrorDetails.RecommendedAction | Should -BeLike '*CpuVirtualization*' }
    }

    It 'completes check ids' {
        $completion = TabExpansion2 -inputScript 'Test-KvmCapability -Check Kvm' -cursorColumn 'Test-KvmCapability -Check Kvm'.Length
        $completion.CompletionMatches.CompletionText | Should -Be @('KvmModule', 'KvmDevice')
    }
}

Describe 'Test-KvmCapability on lab hosts' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 3
        $script:Lab = Get-KvmLab
        $script:Sessions = Connect-KvmHost ($Lab.hosts | ForEach-Object { "root@$($_.address)" }) -KeyFilePath $Lab.keyFile -KnownHostsPath $Lab.knownHosts
        $script:All = $Sessions[0..1] | Test-KvmCapability
        $script:Results = $All | Where-Object { $_ -is [KvmPS.KvmCapabilityResult] }
        $script:Summaries = $All | Where-Object { $_ -is [KvmPS.KvmCapabilitySummary] }
    }

    AfterAll { Disconnect-KvmHost -All }

    It 'returns every check for every host, then one summary per host' {
        foreach ($s in $Sessions[0..1]) {
            ($Results | Where-Object ComputerName -eq $s.ComputerName).Check | Should -Be $CheckIds
        }
        @($Summaries).Count | Should -Be 2
        # Each host's summary follows its own results.
        $firstHost = $All[0].ComputerName
        $All[$CheckIds.Count] | Should -BeOfType ([KvmPS.KvmCapabilitySummary])
        $All[$CheckIds.Count].ComputerName | Should -Be $firstHost
    }

    It 'gives every result a status and a detail, and a remediation when it fails' {
        foreach ($r in $Results) {
            $r.Status | Should -BeIn 'Pass', 'Warn', 'Fail', 'NotApplicable'
            $r.Detail | Should -Not -BeNullOrEmpty
            if ($r.Status -eq 'Fail') { $r.Remediation | Should -Not -BeNullOrEmpty -Because "$($r.Check) failed" }
        }
    }

    It 'reports the kvm_pvm lab host as software emulation only, not as capable' {
        $accel = $Results | Where-Object { $_.Check -eq 'Acceleration' } | Select-Object -First 1
        $accel.Status | Should -Be 'Fail'
        $accel.Detail | Should -BeLike 'Software emulation only for normal guests*kvm_pvm*'
        foreach ($s in $Summaries) {
            $s.IsCapable | Should -BeFalse
            $s.Acceleration | Should -Be 'TCG'
            $s.FailedChecks | Should -Contain 'CpuVirtualization'
            $s.FailedChecks | Should -Contain 'Acceleration'
            $s.Passed + $s.Warnings + $s.Failures | Should -BeLessOrEqual $CheckIds.Count
        }
    }

    It 'reports facts that match the host: <Check>' -ForEach @(
        @{ Check = 'KvmModule'; Status = 'Warn'; Like = '*kvm_pvm*' }
        @{ Check = 'KvmDevice'; Status = 'Pass'; Like = '*libvirt-qemu*can open it*' }
        @{ Check = 'Tun'; Status = 'Pass'; Like = '*/dev/net/tun exists*' }
        @{ Check = 'LibvirtInstalled'; Status = 'Pass'; Like = '*libvirt 9.*' }
        @{ Check = 'QemuInstalled'; Status = 'Pass'; Like = '*QEMU 7.*' }
        @{ Check = 'LibvirtDaemon'; Status = 'Warn'; Like = '*no init system*' }
        @{ Check = 'HostNameResolution'; Status = 'Pass'; Like = "*'kvm1' resolves to 198.18.0.11*" }
        @{ Check = 'DnsServers'; Status = 'Pass'; Like = '*198.18.0.1*' }
        @{ Check = 'DefaultGateway'; Status = 'Warn'; Like = '*no default route*' }
        @{ Check = 'SELinux'; Status = 'NotApplicable'; Like = '*Debian*' }
    ) {
        $r = $Results | Where-Object { $_.ComputerName -eq $Sessions[0].ComputerName -and $_.Check -eq $Check }
        $r.Status | Should -Be $Status
        $r.Detail | Should -BeLike $Like
    }

    It 'returns one Boolean per host with -Quiet' {
        $quiet = $Sessions | Test-KvmCapability -Quiet
        @($quiet).Count | Should -Be 3
        $quiet | ForEach-Object { $_ | Should -BeOfType ([bool]) }
        $quiet | Should -Not -Contain $true
    }

    It 'runs only the selected checks, wildcards allowed' {
        $some = Test-KvmCapability -Session $Sessions[0] -Check 'Default*', 'Tun'
        ($some | Where-Object { $_ -is [KvmPS.KvmCapabilityResult] }).Check | Should -Be @('Tun', 'DefaultNetwork', 'DefaultStoragePool', 'DefaultGateway')
    }

    It 'fails the daemon check with a remediation when libvirtd stops, and passes it again once it runs' {
        $pidFile = Invoke-KvmLabCommand kvm3 cat, /run/libvirtd.pid
        Invoke-KvmLabCommand kvm3 kill, $pidFile | Out-Null
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            do { Start-Sleep -Milliseconds 200 } while ((Invoke-KvmLabCommand kvm3 kill, -0, $pidFile -IgnoreExitCode -PassThru).ExitCode -eq 0 -and [DateTime]::UtcNow -lt $deadline)
            $r = Test-KvmCapability -Session $Sessions[2] -Check LibvirtDaemon, DefaultNetwork
            $daemon = $r | Where-Object Check -eq 'LibvirtDaemon'
            $daemon.Status | Should -Be 'Fail'
            $daemon.Detail | Should -BeLike '*no daemon is running*'
            $daemon.Remediation | Should -BeLike '*libvirtd -d*'
            ($r | Where-Object Check -eq 'DefaultNetwork').Status | Should -Be 'NotApplicable'
        }
        finally {
            # As the lab starts it: pinned to CPU 0 so libvirt's capability cache stays valid.
            Invoke-KvmLabCommand kvm3 taskset, -c, 0, libvirtd, -d -IgnoreExitCode | Out-Null
        }
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        do { Start-Sleep -Milliseconds 200 } until ((Invoke-KvmLabCommand kvm3 test, -S, /run/libvirt/libvirt-sock -IgnoreExitCode -PassThru).ExitCode -eq 0 -or [DateTime]::UtcNow -gt $deadline)
        (Test-KvmCapability -Session $Sessions[2] -Check LibvirtDaemon).Status | Should -Be 'Warn'
    }

    It 'agrees with virt-host-validate on every check both make, or the difference is explained' {
        $validate = Invoke-KvmLabCommand kvm1 virt-host-validate, qemu -IgnoreExitCode
        # "  QEMU: Checking for hardware virtualization      : FAIL (...)"
        $theirs = @{}
        foreach ($line in $validate) {
            if ($line -match '^\s*QEMU: Checking (?<what>.+?)\s*:\s*(?<verdict>PASS|WARN|FAIL)') { $theirs[$Matches.what.Trim()] = $Matches.verdict }
        }
        $ours = @{}
        $Results | Where-Object ComputerName -eq $Sessions[0].ComputerName | ForEach-Object { $ours[$_.Check] = $_.Status.ToString() }
        $map = [ordered]@{
            'for hardware virtualization'                    = 'CpuVirtualization'
            'if device /dev/kvm exists'                      = 'KvmDevice'
            'if device /dev/kvm is accessible'               = 'KvmDevice'
            'if device /dev/vhost-net exists'                = 'VhostNet'
            'if device /dev/net/tun exists'                  = 'Tun'
            "for cgroup 'cpu' controller support"            = 'Cgroups'
            "for cgroup 'cpuacct' controller support"        = 'Cgroups'
            "for cgroup 'cpuset' controller support"         = 'Cgroups'
            "for cgroup 'memory' controller support"         = 'Cgroups'
            "for cgroup 'devices' controller support"        = 'Cgroups'
            "for cgroup 'blkio' controller support"          = 'Cgroups'
            'for device assignment IOMMU support'            = 'Iommu'
        }
        # Differences we make on purpose, each with its reason.
        $explained = @{
            # virt-host-validate cannot tell and says WARN "Unknown"; KvmPS sees no DMAR/IVRS table and
            # says device assignment is unavailable, which normal guests do not need.
            'for device assignment IOMMU support' = @{ Theirs = 'WARN'; Ours = 'NotApplicable' }
        }
        $compared = 0
        foreach ($what in $theirs.Keys) {
            if (-not $map.Contains($what)) {
                # Checks KvmPS does not make (e.g. secure guest support) are listed, not compared.
                $what | Should -BeIn @('for secure guest support') -Because 'a new virt-host-validate check must be mapped or listed'
                continue
            }
            $verdict = $ours[$map[$what]]
            if ($explained.ContainsKey($what)) {
                $theirs[$what] | Should -Be $explained[$what].Theirs
                $verdict | Should -Be $explained[$what].Ours
            }
            else {
                $expected = @{ PASS = 'Pass'; WARN = 'Warn'; FAIL = 'Fail' }[$theirs[$what]]
                $verdict | Should -Be $expected -Because "virt-host-validate says $($theirs[$what]) for '$what'"
            }
            $compared++
        }
        $compared | Should -BeGreaterOrEqual 8
    }
}
