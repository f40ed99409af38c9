BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Install-KvmHost on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 3
        $script:Lab = Get-KvmLab
        # kvm3 is the host this file changes; the lab rebuilds it for the next file.
        $script:S = Connect-KvmHost "root@$($Lab.hosts[2].address)" -KeyFilePath $Lab.keyFile -KnownHostsPath $Lab.knownHosts
        function script:Test-OnHost([string[]]$Command) { (Invoke-KvmLabCommand kvm3 $Command -IgnoreExitCode -PassThru).ExitCode -eq 0 }
        function script:Wait-Until([scriptblock]$Condition) {
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (-not (& $Condition) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
        }
        # Start from what Install-KvmHost must fix: libvirtd stopped, no default pool.
        if (Test-OnHost virsh, pool-info, default) {
            Invoke-KvmLabCommand kvm3 virsh, pool-destroy, default -IgnoreExitCode | Out-Null
            Invoke-KvmLabCommand kvm3 virsh, pool-undefine, default | Out-Null
        }
        $libvirtd = Invoke-KvmLabCommand kvm3 cat, /run/libvirtd.pid
        Invoke-KvmLabCommand kvm3 kill, $libvirtd | Out-Null
        Wait-Until { -not (Test-OnHost kill, -0, $libvirtd) }
    }

    AfterAll { Disconnect-KvmHost -All }

    It 'shows every command with -WhatIf and changes nothing' {
        # -WhatIf writes to the host, not to a stream: a transcript records it.
        $transcript = Join-Path ([IO.Path]::GetTempPath()) ("kvmps-whatif-" + [guid]::NewGuid().ToString('N') + '.txt')
        $null = Start-Transcript -Path $transcript
        try { Install-KvmHost -Session $S -WhatIf -WarningAction SilentlyContinue }
        finally { $null = Stop-Transcript }
        $whatIf = Get-Content -Raw $transcript
        Remove-Item $transcript
        $whatIf | Should -BeLike '*What if*Start libvirt*daemons directly*libvirtd -d*'
        # virtlogd still runs: only what is not running is started.
        $whatIf | Should -Not -BeLike '*virtlogd -d*'
        $whatIf | Should -BeLike "*once libvirt runs*'default' storage pool*"
        Test-OnHost virsh, uri | Should -BeFalse
    }

    It 'starts libvirt, the default network and pool, warns about the missing init system and returns the results' {
        $after = Install-KvmHost -Session $S -PassThru -Confirm:$false -WarningVariable warned -WarningAction SilentlyContinue
        ($warned -join "`n") | Should -BeLike '*no init system*will not start again after a reboot*'
        ($warned -join "`n") | Should -BeLike '*cannot give guests KVM acceleration*'
        $byCheck = @{}
        $after | Where-Object { $_ -is [KvmPS.KvmCapabilityResult] } | ForEach-Object { $byCheck[$_.Check] = $_ }
        $byCheck.LibvirtDaemon.Status | Should -Be 'Warn'
        $byCheck.LibvirtDaemon.Detail | Should -BeLike '*is running*'
        $byCheck.DefaultStoragePool.Status | Should -Be 'Pass'
        $byCheck.DefaultNetwork.Status | Should -Be 'Pass'
        ($after | Where-Object { $_ -is [KvmPS.KvmCapabilitySummary] }).ComputerName | Should -Be $S.ComputerName
        # The host agrees.
        (Invoke-KvmLabCommand kvm3 virsh, pool-info, default) -join "`n" | Should -Match 'State:\s+running'
        (Invoke-KvmLabCommand kvm3 virsh, net-info, default) -join "`n" | Should -Match 'Active:\s+yes'
    }

    It 'plans nothing the second time' {
        $verbose = Install-KvmHost -Session $S -Confirm:$false -WarningAction SilentlyContinue -Verbose 4>&1 | Out-String
        $verbose | Should -BeLike '*Nothing to install*'
        $verbose | Should -Not -BeLike '*virsh -c qemu:///system pool-*'
    }

    It 'refuses an unprivileged session with NotElevated and changes nothing' {
        Invoke-KvmLabCommand kvm3 virsh, pool-autostart, --disable, default | Out-Null
        $limited = Connect-KvmHost "kvmlimited@$($Lab.hosts[2].address)" -KeyFilePath $Lab.keyFile -KnownHostsPath $Lab.knownHosts
        Install-KvmHost -Session $limited -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'NotElevated,*'
        $failed[0].ErrorDetails.RecommendedAction | Should -BeLike '*sudo*'
        (Invoke-KvmLabCommand kvm3 virsh, pool-info, default) -join "`n" | Should -Match 'Autostart:\s+no'
    }
}
