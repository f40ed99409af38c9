BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Get-KvmGuest on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 1
        $script:Lab = Get-KvmLab
        $script:S = Connect-LabHost $Lab
        $script:P = New-GuestPrefix 'get'
        Invoke-KvmLabCommand kvm1 virsh, net-start, default -IgnoreExitCode | Out-Null
        New-KvmGuest -Session $S -Name "${P}web1" -MemoryBytes 64MB -DiskSizeBytes 16MB -Network default -Start -WarningAction SilentlyContinue
        New-KvmGuest -Session $S -Name "${P}web2" -MemoryBytes 64MB -DiskSizeBytes 16MB -DataDiskSizeBytes 8MB -WarningAction SilentlyContinue
        New-KvmGuest -Session $S -Name "${P}db1" -MemoryBytes 96MB -ProcessorCount 2 -DiskSizeBytes 16MB -WarningAction SilentlyContinue
    }

    AfterAll {
        Disconnect-KvmHost -All
        Clear-LabGuests kvm1 $P
    }

    It 'lists every guest of the host, matching virsh' {
        $names = (Get-KvmGuest -Session $S).Name
        $virsh = Invoke-KvmLabCommand kvm1 virsh, list, --all, --name | Where-Object { $_ }
        ($names | Sort-Object) | Should -Be ($virsh | Sort-Object)
    }

    It 'selects by wildcard and by state' {
        (Get-KvmGuest -Session $S -Name "${P}web*").Name | Should -Be @("${P}web1", "${P}web2")
        (Get-KvmGuest -Session $S -Name "${P}*" -State Running).Name | Should -Be "${P}web1"
        (Get-KvmGuest -Session $S -Name "${P}*" -State ShutOff).Name | Should -Be @("${P}db1", "${P}web2")
    }

    It 'reports an exact name that matches nothing, but not a wildcard' {
        Get-KvmGuest -Session $S -Name "${P}nosuch" -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'GuestNotFound,*'
        $failed[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Get-KvmGuest -Session $S -Name "${P}nosuch*" -ErrorVariable none -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $none | Should -BeNullOrEmpty
    }

    It 'describes a guest as virsh does: CPUs, memory, state, disks, NICs' {
        $db = Get-KvmGuest -Session $S -Name "${P}db1"
        $db.ProcessorCount | Should -Be 2
        $db.MemoryBytes | Should -Be 96MB
        $db.Persistent | Should -BeTrue
        $db.DomainType | Should -Be 'qemu'
        $db.Uuid.ToString() | Should -Be ((Invoke-KvmLabCommand kvm1 virsh, domuuid, "${P}db1") | Where-Object { $_ })
        $web2 = Get-KvmGuest -Session $S -Name "${P}web2"
        $web2.Disks.Target | Should -Be @('vda', 'vdb')
        $web2.Disks[0].Path | Should -Be "/var/lib/libvirt/images/${P}web2.qcow2"
        $web2.Disks[0].Format | Should -Be 'qcow2'
        $web2.Disks[0].CapacityBytes | Should -Be 16MB
        $web2.Disks[1].CapacityBytes | Should -Be 8MB
        $web1 = Get-KvmGuest -Session $S -Name "${P}web1"
        $web1.State | Should -Be 'Running'
        $web1.Id | Should -BeGreaterThan 0
        $web1.NetworkAdapters[0].Type | Should -Be 'network'
        $web1.NetworkAdapters[0].Source | Should -Be 'default'
        $web1.NetworkAdapters[0].MacAddress | Should -Match '^52:54:00(:[0-9a-f]{2}){3}$'
        $web1.NetworkAdapters[0].Device | Should -Match '^vnet\d+$'
    }

    It 'reads all guests in one round trip, whatever their number' {
        $verbose = Get-KvmGuest -Session $S -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        @($verbose | Where-Object Message -like '*guest-inventory.sh*').Count | Should -Be 1
        @($verbose | Where-Object Message -like '`[*').Count | Should -Be 1 -Because 'one remote command: the inventory script'
    }

    It 'takes sessions from the pipeline and carries its session' {
        $guests = $S | Get-KvmGuest -Name "${P}*"
        @($guests).Count | Should -Be 3
        $guests[0].Session.Id | Should -Be $S.Id
        $guests[0].ComputerName | Should -Be $S.ComputerName
    }

    It 'serializes to JSON and CSV' {
        $g = Get-KvmGuest -Session $S -Name "${P}web2"
        ($g | ConvertTo-Json -Depth 4 | ConvertFrom-Json).Disks[1].Target | Should -Be 'vdb'
        ($g | Select-Object Name, State, MemoryBytes | ConvertTo-Csv | ConvertFrom-Csv).State | Should -Be 'ShutOff'
    }

    It 'is constructible for tests and mocks' {
        $made = [KvmPS.KvmGuest]::new()
        $made.Name = 'mock'
        $made.State = 'Running'
        $made.State | Should -Be ([KvmPS.KvmGuestState]::Running)
    }
}
