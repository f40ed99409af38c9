# Realistic KvmPS objects for view tests (tests/Format.Tests.ps1): long but real names (FQDN hosts,
# 40-character guests, deep paths), so that a view that only fits lab names fails. Dot-source it.

# Every type a KvmPS cmdlet says it outputs, and the KvmPS classes those objects carry (a guest's
# disks, a summary's results), found by reflection: a new type is tested without being listed.
function Get-KvmPSOutputType {
    $found = [System.Collections.Generic.List[type]]::new()
    $queue = [System.Collections.Generic.Queue[type]]::new()
    Get-Command -Module KvmPS -CommandType Cmdlet |
        ForEach-Object { $_.ImplementingType.GetCustomAttributes([System.Management.Automation.OutputTypeAttribute], $true).Type.Type } |
        ForEach-Object { $queue.Enqueue($_) }
    while ($queue.Count) {
        $type = $queue.Dequeue()
        if (-not $type -or -not $type.IsClass -or $type.Namespace -ne 'KvmPS' -or $found.Contains($type)) { continue }
        $found.Add($type)
        foreach ($property in $type.GetProperties()) {
            $t = $property.PropertyType
            if ($t.IsArray) { $t = $t.GetElementType() }
            $queue.Enqueue($t)
        }
    }
    $found | Sort-Object Name
}

$script:SampleHosts = 'kvm-prod-01.dc1.example.com', 'kvm-prod-02.dc1.example.com'
$script:SampleGuest = 'finance-reporting-db-primary-2024-rhel94'

function New-SampleGuest([string]$Name, [string]$State = 'Running', [string]$ComputerName = $SampleHosts[0]) {
    [KvmPS.KvmGuest]@{
        ComputerName = $ComputerName; Name = $Name; Uuid = [guid]'0b5e2d3c-7f41-4c8e-9a6d-2f1e8b7c4d10'; State = $State
        Id = $(if ($State -eq 'Running') { 17 }); ProcessorCount = 16; MemoryBytes = 64GB; Autostart = $true; Persistent = $true
        DomainType = 'kvm'; CpuMode = 'host-passthrough'; Firmware = 'Uefi'; Machine = 'pc-q35-rhel9.4.0'
        Disks = @(
            [KvmPS.KvmGuestDisk]@{ Target = 'vda'; Device = 'disk'; Bus = 'virtio'; Path = "/var/lib/libvirt/images/$Name.qcow2"; SourceType = 'file'; Format = 'qcow2'; CapacityBytes = 120GB; AllocationBytes = 87.3GB; BackingFile = '/var/lib/libvirt/images/templates/rhel-9.4-x86_64-kvm.qcow2' }
            [KvmPS.KvmGuestDisk]@{ Target = 'vdb'; Device = 'disk'; Bus = 'virtio'; Path = '/dev/mapper/vg_guests-finance_reporting_db_primary_data'; SourceType = 'block'; Format = 'raw'; CapacityBytes = 2TB; AllocationBytes = 2TB }
            [KvmPS.KvmGuestDisk]@{ Target = 'sda'; Device = 'cdrom'; Bus = 'sata'; SourceType = 'file'; Format = 'raw' }
        )
        NetworkAdapters = @(
            [KvmPS.KvmGuestNetworkAdapter]@{ MacAddress = '52:54:00:6b:3c:9a'; Type = 'bridge'; Source = 'br-prod-vlan120'; Model = 'virtio'; Device = 'vnet12'; IPAddresses = '10.120.48.213', 'fd12:3456:789a:120::d5' }
            [KvmPS.KvmGuestNetworkAdapter]@{ MacAddress = '52:54:00:1f:a2:07'; Type = 'network'; Source = 'backup-isolated'; Model = 'e1000e'; Device = 'vnet13'; IPAddresses = @('192.168.210.47') }
        )
        IPAddresses = '10.120.48.213', 'fd12:3456:789a:120::d5', '192.168.210.47'
    }
}

function New-SampleChecks {
    [KvmPS.KvmCapabilityResult]@{ ComputerName = $SampleHosts[0]; Check = 'HostVirtualization'; Status = 'Pass'; Detail = 'Intel VT-x (vmx) is enabled: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz, 128 logical processors' }
    [KvmPS.KvmCapabilityResult]@{ ComputerName = $SampleHosts[0]; Check = 'NestedVirtualization'; Status = 'Warn'; Detail = 'Nested virtualization is off (/sys/module/kvm_intel/parameters/nested is N): guests cannot run their own KVM guests, which only matters for labs and CI runners.'; Remediation = "echo 'options kvm_intel nested=1' > /etc/modprobe.d/kvm-nested.conf; modprobe -r kvm_intel; modprobe kvm_intel" }
    [KvmPS.KvmCapabilityResult]@{ ComputerName = $SampleHosts[0]; Check = 'KvmDevice'; Status = 'Fail'; Detail = '/dev/kvm is missing: the kvm_intel module is not loaded'; Remediation = 'modprobe kvm_intel' }
}

# Objects of one type as a real host would return them; nothing for a type without a case.
function New-KvmPSSample([type]$Type) {
    switch ($Type.Name) {
        'KvmSession' {
            [KvmPS.KvmSession]@{ Id = 12; Name = 'prod01-a'; ComputerName = $SampleHosts[0]; Port = 2222; UserName = 'svc-kvmops'; Transport = 'Ssh'; HostKeyFingerprint = 'SHA256:3q2+7w8Xk1vL0pQz9YbN4mR6tUe5sHcJ2aFgDiKoWl8'; HostKeyAlgorithm = 'ssh-ed25519'; IsElevated = $true; Elevation = 'Sudo'; ServerVersion = 'SSH-2.0-OpenSSH_8.7'; ConnectedAt = [datetime]'2024-05-14T09:12:45'; State = 'Opened' }
            [KvmPS.KvmSession]@{ Id = 13; ComputerName = 'localhost'; UserName = 'root'; Transport = 'Local'; Elevation = 'None'; IsElevated = $true; ConnectedAt = [datetime]'2024-05-14T09:13:02'; State = 'Closed' }
        }
        'KvmHostInfo' {
            foreach ($name in $SampleHosts) {
                [KvmPS.KvmHostInfo]@{
                    ComputerName = $name; HostName = $name; OSId = 'rhel'; OSName = 'Red Hat Enterprise Linux'; OSVersion = '9.4'; OSMajorVersion = 9; OSFamily = 'RedHat'
                    KernelVersion = '5.14.0-427.13.1.el9_4.x86_64'; Architecture = 'x86_64'; CpuVendor = 'GenuineIntel'; CpuModel = 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz'
                    LogicalProcessorCount = 128; VirtualizationFlag = 'vmx'; CpuFlags = 'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid dca sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch avx512f avx512dq'.Split(' ')
                    MemoryTotalBytes = 1TB - 3GB; MemoryAvailableBytes = 612.4GB; KvmModules = 'kvm', 'kvm_intel'; KvmDevicePresent = $true; KvmDevicePermissions = 'crw-rw-rw- 0:36'
                    InitSystem = 'Systemd'; NetworkBackend = 'NetworkManager'; PackageManager = 'dnf'; SELinux = 'Enforcing'; LibvirtVersion = '10.0.0'; QemuVersion = '8.2.0'
                    LibvirtDaemon = 'Modular'; GuestCount = 148; RunningGuestCount = 131; IsElevated = $true; ProbedAt = [datetime]'2024-05-14T09:12:46'
                }
            }
        }
        'KvmCapabilityResult' { New-SampleChecks }
        'KvmCapabilitySummary' {
            [KvmPS.KvmCapabilitySummary]@{ ComputerName = $SampleHosts[0]; IsCapable = $false; Acceleration = 'KVM'; OperatingSystem = 'Red Hat Enterprise Linux 9.4'; Passed = 1; Warnings = 1; Failures = 1; FailedChecks = @('KvmDevice'); Results = New-SampleChecks }
            [KvmPS.KvmCapabilitySummary]@{ ComputerName = $SampleHosts[1]; IsCapable = $false; Acceleration = 'None'; OperatingSystem = 'Rocky Linux 8.10'; Passed = 9; Warnings = 2; Failures = 5; FailedChecks = 'HostVirtualization', 'KvmDevice', 'LibvirtDaemon', 'DefaultStoragePool', 'HostNameResolution' }
        }
        'KvmGuest' {
            New-SampleGuest $SampleGuest
            New-SampleGuest 'build-agent-ephemeral-7f3a9c2e-win2022' 'ShuttingDown' $SampleHosts[1]
            New-SampleGuest 'dns01' 'ShutOff'
        }
        'KvmGuestDisk' { (New-SampleGuest $SampleGuest).Disks }
        'KvmGuestNetworkAdapter' { (New-SampleGuest $SampleGuest).NetworkAdapters }
        'KvmBridge' {
            [KvmPS.KvmBridge]@{ ComputerName = $SampleHosts[0]; Name = 'br-prod-vlan120'; Ports = 'bond0.120', 'vnet12', 'vnet14', 'vnet15', 'vnet21'; GuestInterfaces = 'vnet12', 'vnet14', 'vnet15', 'vnet21'; IPAddresses = '10.120.48.11/22', 'fd12:3456:789a:120::11/64'; MacAddress = '3c:ec:ef:4a:12:7e'; Stp = $false; IsUp = $true; Backend = 'NetworkManager'; Persistent = $true; Definition = '/etc/NetworkManager/system-connections/br-prod-vlan120.nmconnection' }
            [KvmPS.KvmBridge]@{ ComputerName = $SampleHosts[0]; Name = 'virbr0'; Ports = @('vnet13'); GuestInterfaces = @('vnet13'); IPAddresses = @('192.168.122.1/24'); MacAddress = '52:54:00:9c:41:d2'; Stp = $true; IsUp = $true; Backend = 'Libvirt'; Persistent = $true; Definition = 'default' }
            [KvmPS.KvmBridge]@{ ComputerName = $SampleHosts[1]; Name = 'br-test'; MacAddress = '8e:1b:33:70:0c:5f'; Backend = 'IpRoute'; Persistent = $false }
        }
        'KvmNetwork' {
            [KvmPS.KvmNetwork]@{ ComputerName = $SampleHosts[0]; Name = 'default'; Uuid = [guid]'9a0f3c1e-2b4d-4e6f-8a1b-3c5d7e9f0a2b'; Bridge = 'virbr0'; ForwardMode = 'nat'; IPAddress = '192.168.122.1'; Subnet = '192.168.122.0/24'; DhcpRange = '192.168.122.2-192.168.122.254'; Active = $true; Autostart = $true; Persistent = $true }
            [KvmPS.KvmNetwork]@{ ComputerName = $SampleHosts[0]; Name = 'backup-isolated-vlan310'; Uuid = [guid]'1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f'; Bridge = 'virbr-backup310'; ForwardMode = 'isolated'; IPAddress = '192.168.210.1'; Subnet = '192.168.210.0/24'; Active = $false; Persistent = $true }
        }
        'KvmMigrationCheck' {
            [KvmPS.KvmMigrationCheck]@{ Guest = $SampleGuest; ComputerName = $SampleHosts[0]; Destination = $SampleHosts[1]; Check = 'DestinationDisks'; Status = 'Pass'; Detail = "/var/lib/libvirt/images/$SampleGuest.qcow2 is on shared storage (nfs 10.0.0.5:/export/vmstore) seen by both hosts" }
            [KvmPS.KvmMigrationCheck]@{ Guest = $SampleGuest; ComputerName = $SampleHosts[0]; Destination = $SampleHosts[1]; Check = 'MigrationPorts'; Status = 'Fail'; Detail = "$($SampleHosts[1]) does not accept connections on 49152-49215 (the firewall drops them)"; Remediation = 'firewall-cmd --permanent --add-port=49152-49215/tcp; firewall-cmd --reload' }
        }
        'KvmMigrationResult' {
            [KvmPS.KvmMigrationResult]@{ Name = $SampleGuest; ComputerName = $SampleHosts[0]; Destination = $SampleHosts[1]; Mode = 'Live+Storage'; StartTime = [datetime]'2024-05-14T09:20:00'; EndTime = [datetime]'2024-05-14T09:24:31.7'; Duration = [timespan]::FromSeconds(271.68); Downtime = [timespan]::FromMilliseconds(312); DataTransferredBytes = 187.6GB; Command = "virsh -c qemu:///system migrate --live --persistent --undefinesource --verbose --copy-storage-all -- $SampleGuest qemu+ssh://$($SampleHosts[1])/system"; Guest = New-SampleGuest $SampleGuest 'Running' $SampleHosts[1] }
            [KvmPS.KvmMigrationResult]@{ Name = 'dns01'; ComputerName = $SampleHosts[0]; Destination = $SampleHosts[1]; Mode = 'Offline'; Duration = [timespan]::FromSeconds(1.2); DataTransferredBytes = 0; Command = "virsh -c qemu:///system migrate --offline --persistent --undefinesource -- dns01 qemu+ssh://$($SampleHosts[1])/system"; Guest = New-SampleGuest 'dns01' 'ShutOff' $SampleHosts[1] }
        }
    }
}

# What a table of the sample must show whole: the values an admin reads it for.
function Get-KvmPSKeyValue($Sample) {
    $keys = @{
        KvmSession = 'ComputerName', 'UserName', 'State'; KvmHostInfo = 'ComputerName', 'LibvirtVersion'; KvmCapabilityResult = 'Check', 'Status'
        KvmCapabilitySummary = @(); KvmGuest = 'Name', 'State'; KvmGuestDisk = 'Target', 'Path'; KvmGuestNetworkAdapter = 'MacAddress', 'Source'
        KvmBridge = 'Name', 'Backend'; KvmNetwork = 'Name', 'Subnet'; KvmMigrationCheck = 'Check'; KvmMigrationResult = 'Name', 'Mode'
    }
    foreach ($property in $keys[$Sample.GetType().Name]) { "$($Sample.$property)" }
}
