BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Test-KvmMigration between two lab hosts' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 2
        $script:Lab = Get-KvmLab
        $script:S1 = Connect-LabHost $Lab 0
        $script:S2 = Connect-LabHost $Lab 1
        $script:P = New-GuestPrefix 'tmig'
        $script:Tiny = Initialize-TinyGuest
        # A running guest with a local qcow2 disk (New-KvmGuest makes it in the default pool).
        New-KvmGuest -Session $S1 -Name "${P}disk" -MemoryBytes 96MB -DiskSizeBytes 16MB -KernelPath $Tiny.Kernel -InitrdPath $Tiny.Initrd `
            -KernelArguments $Tiny.Cmdline -Graphics None -Start -WarningAction SilentlyContinue
        New-TinyLabGuest kvm1 "${P}bare"
    }

    AfterAll {
        Disconnect-KvmHost -All
        Clear-LabGuests kvm1 $P
        Clear-LabGuests kvm2 $P
        Invoke-KvmLabCommand kvm1 'ip', 'link', 'del', 'tmigbr0' -IgnoreExitCode | Out-Null
    }

    It 'returns every check for a running guest with a local disk; the disk needs -IncludeStorage' {
        $checks = Test-KvmMigration -Session $S1 -Name "${P}disk" -Destination $S2
        $checks.Check | Should -Be @('GuestState', 'DestinationReachable', 'NameResolution', 'MigrationPorts', 'SshTrust', 'CpuCompatible',
            'MachineType', 'Firmware', 'SharedStorage', 'DiskCache', 'Networks', 'Memory', 'NameAvailable', 'LibvirtVersion')
        $checks | ForEach-Object { $_.Guest | Should -Be "${P}disk"; $_.ComputerName | Should -Be $S1.ComputerName; $_.Destination | Should -Be $S2.ComputerName }
        ($checks | Where-Object Status -ne 'Pass').Check | Should -Be @('SharedStorage')
        $storage = $checks | Where-Object Check -eq 'SharedStorage'
        $storage.Detail | Should -BeLike "not on storage $($S2.ComputerName) shares: /var/lib/libvirt/images/${P}disk*"
        $storage.Remediation | Should -BeLike 'Add -IncludeStorage*'
        ($checks | Where-Object Check -eq 'CpuCompatible').Detail | Should -BeLike '*identical to the CPU provided by hypervisor*'
        ($checks | Where-Object Check -eq 'SshTrust').Detail | Should -BeLike '*root reaches libvirt on*'
    }

    It 'passes everything with -IncludeStorage, and -Quiet says $true; without it $false' {
        $checks = Test-KvmMigration -Session $S1 -Name "${P}disk" -Destination $S2 -IncludeStorage
        $checks | Where-Object Status -eq 'Fail' | Should -BeNullOrEmpty
        ($checks | Where-Object Check -eq 'DestinationDisks').Detail | Should -BeLike 'paths free on*'
        Test-KvmMigration -Session $S1 -Name "${P}disk" -Destination $S2 -IncludeStorage -Quiet | Should -BeExactly $true
        Test-KvmMigration -Session $S1 -Name "${P}disk" -Destination $S2 -Quiet | Should -BeExactly $false
    }

    It 'changes nothing: no marker left beside the disks, nothing on the destination' {
        Test-KvmMigration -Session $S1 -Name "${P}*" -Destination $S2 | Out-Null
        Invoke-KvmLabCommand kvm1 'sh', '-c', 'ls -a /var/lib/libvirt/images | grep -c kvmps-shared || true' | Should -Be '0'
        Get-LabGuestPlaces kvm2 $P | Should -BeNullOrEmpty
        Get-LabGuestPlaces kvm1 $P | Should -Be @("${P}bare running yes", "${P}disk running yes")
    }

    It 'takes guests from the pipeline and a destination by name' {
        $checks = Get-KvmGuest -Session $S1 -Name "${P}bare" | Test-KvmMigration -Destination "root@$($Lab.hosts[1].address)"
        $checks | Where-Object Status -eq 'Fail' | Should -BeNullOrEmpty
        ($checks | Where-Object Check -eq 'SharedStorage').Detail | Should -Be 'no disks'
        # libvirt gives a running guest QEMU's default model in its migratable definition.
        ($checks | Where-Object Check -eq 'CpuCompatible').Detail | Should -Be "$($S2.ComputerName): The CPU provided by hypervisor on the host is a superset of the guest's CPU"
    }

    It 'finds a shared disk by the marker the destination sees, and a shared disk with host caching' {
        $dir = "/var/lib/kvmps-lab/shared-$P".TrimEnd('-')
        Invoke-KvmLabCommand kvm1 'sh', '-c', 'mkdir -p "$1" && qemu-img create -q -f raw "$1/a.img" 8M && qemu-img create -q -f raw "$1/b.img" 8M', 'x', $dir | Out-Null
        try {
            $disks = "<disk type='file' device='disk'><driver name='qemu' type='raw' cache='none'/><source file='$dir/a.img'/><target dev='vda' bus='virtio'/></disk>" +
                "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$dir/b.img'/><target dev='vdb' bus='virtio'/></disk>"
            New-TinyLabGuest kvm1 "${P}shared" -Devices $disks
            $checks = Test-KvmMigration -Session $S1 -Name "${P}shared" -Destination $S2
            $storage = $checks | Where-Object Check -eq 'SharedStorage'
            $storage.Status | Should -Be 'Pass'
            $storage.Detail | Should -Be "shared with $($S2.ComputerName): $dir/a.img, $dir/b.img"
            $cache = $checks | Where-Object Check -eq 'DiskCache'
            $cache.Status | Should -Be 'Fail'
            $cache.Detail | Should -BeLike '*vdb (cache=default)'
            Get-ChildItem -Force $dir | Where-Object Name -like '.kvmps-shared*' | Should -BeNullOrEmpty
        }
        finally {
            Clear-LabGuests kvm1 "${P}shared"
            Remove-Item -Recurse -Force $dir -ErrorAction SilentlyContinue
        }
    }

    It 'reports a bridge missing on the destination and a name taken there, before anything moves' {
        Invoke-KvmLabCommand kvm1 'sh', '-c', 'ip link add tmigbr0 type bridge && ip link set tmigbr0 up' | Out-Null
        New-TinyLabGuest kvm1 "${P}br" -Bridge tmigbr0
        New-LabGuests kvm2 "${P}br" -Count 1
        Invoke-KvmLabCommand kvm2 'virsh', 'domrename', "${P}br1", "${P}br" | Out-Null
        $checks = Test-KvmMigration -Session $S1 -Name "${P}br" -Destination $S2
        $failed = $checks | Where-Object Status -eq 'Fail'
        $failed.Check | Should -Be @('Networks', 'NameAvailable')
        ($failed | Where-Object Check -eq 'Networks').Detail | Should -Be "on $($S2.ComputerName): bridge 'tmigbr0' does not exist"
        ($failed | Where-Object Check -eq 'Networks').Remediation | Should -BeLike "New-KvmBridge -ComputerName $($S2.ComputerName) -Name 'tmigbr0'*"
        ($failed | Where-Object Check -eq 'NameAvailable').Detail | Should -Be "$($S2.ComputerName) already has a guest named '${P}br' (shut off)"
    }

    It 'reports migration ports a firewall drops on the destination' {
        Invoke-KvmLabCommand kvm2 'iptables', '-I', 'INPUT', '-p', 'tcp', '--dport', '49152:49215', '-j', 'DROP' | Out-Null
        try {
            $ports = Test-KvmMigration -Session $S1 -Name "${P}bare" -Destination $S2 | Where-Object Check -eq 'MigrationPorts'
            $ports.Status | Should -Be 'Fail'
            $ports.Detail | Should -BeLike '*a firewall drops the migration ports*'
            $ports.Remediation | Should -BeLike '*firewall-cmd --permanent --add-port=49152-49215/tcp*'
        }
        finally {
            Invoke-KvmLabCommand kvm2 'iptables', '-D', 'INPUT', '-p', 'tcp', '--dport', '49152:49215', '-j', 'DROP' | Out-Null
        }
    }

    It 'reports when root on the source has no SSH trust to the destination, and that -TrustMode Ephemeral would do' {
        # Root on the source without its key (the lab gives every host's root the lab key).
        Invoke-KvmLabCommand kvm1 'mv', '/root/.ssh/id_ed25519', '/root/.ssh/id_ed25519.tmig' | Out-Null
        try {
            $trust = Test-KvmMigration -Session $S1 -Name "${P}bare" -Destination $S2 | Where-Object Check -eq 'SshTrust'
            $ephemeral = Test-KvmMigration -Session $S1 -Name "${P}bare" -Destination $S2 -TrustMode Ephemeral | Where-Object Check -eq 'SshTrust'
        }
        finally {
            Invoke-KvmLabCommand kvm1 'mv', '/root/.ssh/id_ed25519.tmig', '/root/.ssh/id_ed25519' | Out-Null
        }
        $ephemeral.Status | Should -Be 'Pass'
        $ephemeral.Detail | Should -BeLike '-TrustMode Ephemeral: a one-time key made on*'
        $trust.Status | Should -Be 'Fail'
        $trust.Detail | Should -BeLike '*root cannot reach libvirt on*(exit code 255)*Permission denied*'
        $trust.Remediation | Should -BeLike '*ssh-copy-id*'
    }

    It 'refuses bad calls with clear errors and no remote command' {
        { Test-KvmMigration -Session $S1 -Name "${P}bare" -Destination 42 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidDestination,KvmPS.Commands.TestKvmMigrationCommand'
        { Test-KvmMigration -Session $S1 -Name "${P}bare" -Destination $S2 -MigrationAddress '10.0.0.1;touch /tmp/x' -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidMigrationAddress,KvmPS.Commands.TestKvmMigrationCommand'
        $null = Test-KvmMigration -Session $S1 -Name "${P}nosuch" -Destination $S2 -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -BeLike 'GuestNotFound,*'
        $null = Test-KvmMigration -Session $S1 -Name "${P}bare" -Destination $S1 -ErrorVariable e2 -ErrorAction SilentlyContinue
        $e2[0].FullyQualifiedErrorId | Should -BeLike 'SameHost,*'
    }
}
