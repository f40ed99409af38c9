BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Get-KvmHost on this machine' -Skip:(-not $IsLinux) {
    It 'reports the facts the machine itself shows' {
        $info = Get-KvmHost
        $info | Should -BeOfType ([KvmPS.KvmHostInfo])
        $info.ComputerName | Should -Be 'localhost'
        $info.KernelVersion | Should -Be (& uname -r)
        $info.HostName | Should -Be (& uname -n)
        $info.LogicalProcessorCount | Should -Be ([int](& nproc --all))
        $osId = (Get-Content /etc/os-release | Where-Object { $_ -like 'ID=*' }) -replace '^ID=|"', ''
        $info.OSId | Should -Be $osId
        $info.MemoryTotalBytes | Should -BeGreaterThan 0
        $info.MemoryAvailableBytes | Should -BeLessOrEqual $info.MemoryTotalBytes
        $info.KvmDevicePresent | Should -Be (Test-Path /dev/kvm)
        $flags = (Get-Content /proc/cpuinfo | Where-Object { $_ -like 'flags*' } | Select-Object -First 1) -split '\s+'
        $expected = if ($flags -contains 'vmx') { 'vmx' } elseif ($flags -contains 'svm') { 'svm' } else { '' }
        $info.VirtualizationFlag | Should -Be $expected
        $info.IsVirtualMachine | Should -Be ($flags -contains 'hypervisor')
    }

    It 'serializes cleanly to JSON and CSV' {
        $info = Get-KvmHost
        $json = $info | ConvertTo-Json -Depth 3 | ConvertFrom-Json
        $json.KernelVersion | Should -Be $info.KernelVersion
        ($info | ConvertTo-Csv | ConvertFrom-Csv).HostName | Should -Be $info.HostName
    }

    It 'is constructible for tests and mocks' {
        $made = [KvmPS.KvmHostInfo]::new()
        $made.ComputerName = 'kvm9'
        $made.ComputerName | Should -Be 'kvm9'
    }
}

Describe 'Get-KvmHost against lab hosts' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 2
        $script:Lab = Get-KvmLab
        $script:SavedHome = $env:HOME
        $env:HOME = New-LabHome -Lab $Lab
        $script:Names = @($Lab.hosts | ForEach-Object address)
    }

    AfterAll {
        Disconnect-KvmHost -All
        Remove-Item $env:HOME -Recurse -Force -ErrorAction SilentlyContinue
        $env:HOME = $SavedHome
    }

    It 'returns both hosts'' facts, opening pooled sessions with ssh''s defaults' {
        $facts = Get-KvmHost -ComputerName $Names
        @($facts).Count | Should -Be 2
        ($facts.HostName | Sort-Object) | Should -Be @('kvm1', 'kvm2')
        ($facts.ComputerName | Sort-Object) | Should -Be ($Names | Sort-Object)
        foreach ($f in $facts) {
            $f.LibvirtDaemon | Should -Be 'Monolithic'
            $f.KvmModules | Should -Contain 'kvm'
            $f.IsElevated | Should -BeTrue
            $f.LibvirtVersion | Should -Match '^\d+\.\d+'
            $f.GuestCount | Should -BeGreaterOrEqual 0
        }
        # The sessions were opened as plain `ssh host` would: current user, ~/.ssh key, ~/.ssh/known_hosts.
        $sessions = Get-KvmSession -ComputerName $Names
        @($sessions).Count | Should -Be 2
        $sessions.UserName | Should -Be @([Environment]::UserName, [Environment]::UserName) -Because 'no user was named'
    }

    It 'reuses the pooled session instead of reconnecting' {
        $before = Get-KvmSession -ComputerName $Names[0]
        $null = Get-KvmHost -ComputerName $Names[0]
        $after = Get-KvmSession -ComputerName $Names[0]
        $after.Id | Should -Be $before.Id
    }

    It 'caches facts per session and probes again with -Refresh' {
        $name = 'kvmps-refresh-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $cached = Get-KvmHost -ComputerName $Names[0]
        $xml = "<domain type='qemu'><name>$name</name><memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os></domain>"
        Invoke-KvmLabCommand kvm1 virsh, define, /dev/stdin -InputText $xml | Out-Null
        try {
            (Get-KvmHost -ComputerName $Names[0]).GuestCount | Should -Be $cached.GuestCount
            (Get-KvmHost -ComputerName $Names[0] -Refresh).GuestCount | Should -Be ($cached.GuestCount + 1)
        }
        finally {
            Invoke-KvmLabCommand kvm1 virsh, undefine, $name | Out-Null
        }
    }

    It 'takes sessions and KvmPS objects from the pipeline' {
        (Get-KvmSession -ComputerName $Names | Get-KvmHost).HostName | Sort-Object | Should -Be @('kvm1', 'kvm2')
        (Get-KvmHost -ComputerName $Names[1] | Get-KvmHost).HostName | Should -Be 'kvm2'
    }

    It 'stops on Ctrl+C (PowerShell.Stop) without leaving the remote probe running' {
        $session = Get-KvmSession -ComputerName $Names[1]
        # A frozen libvirtd makes the probe's virsh hang, so the cmdlet is surely mid-command.
        # ([v]irsh: the pattern must not match lab.sh's own command line, which carries it.)
        $libvirtd = Invoke-KvmLabCommand kvm2 cat, /run/libvirtd.pid
        Invoke-KvmLabCommand kvm2 kill, -STOP, $libvirtd | Out-Null
        $ps = [PowerShell]::Create()
        try {
            $null = $ps.AddCommand('Import-Module').AddArgument((Get-KvmPSModulePath)).AddStatement().
                AddCommand('Get-KvmHost').AddParameter('Session', $session).AddParameter('Refresh')
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            do {
                Start-Sleep -Milliseconds 100
                $probing = (Invoke-KvmLabCommand kvm2 pgrep, -f, '[v]irsh -c qemu:///system echo @@libvirt-answer' -IgnoreExitCode -PassThru).ExitCode -eq 0
            } until ($probing -or [DateTime]::UtcNow -gt $deadline)
            $probing | Should -BeTrue -Because 'the probe should be waiting on the frozen libvirtd'
            $ps.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            (Invoke-KvmLabCommand kvm2 pgrep, -f, '[v]irsh -c qemu:///system echo @@libvirt-answer' -IgnoreExitCode -PassThru).ExitCode | Should -Be 1
        }
        finally {
            $ps.Dispose()
            Invoke-KvmLabCommand kvm2 kill, -CONT, $libvirtd -IgnoreExitCode | Out-Null
        }
        $session.State | Should -Be 'Opened'
        (Get-KvmHost -Session $session -Refresh).HostName | Should -Be 'kvm2'
    }

    It 'writes one error per unreachable host and still returns the others' {
        $facts = Get-KvmHost -ComputerName $Names[0], '198.18.0.1:2' -ErrorVariable failed -ErrorAction SilentlyContinue
        @($facts).Count | Should -Be 1
        $facts.HostName | Should -Be 'kvm1'
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'ConnectionFailed,*'
        $failed[0].TargetObject | Should -Be '198.18.0.1:2'
    }
}
