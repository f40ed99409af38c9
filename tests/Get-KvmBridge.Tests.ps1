BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Get-KvmBridge on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 1
        $script:Lab = Get-KvmLab
        $script:S = Connect-LabHost $Lab
        $script:P = New-GuestPrefix 'gbr'
        # A bridge made at runtime with two veth ends in it, an address and STP on; and libvirt's NAT
        # network with a running guest, whose tap device joins virbr0.
        $script:Br = "kb$(Get-Random -Maximum 99999)"
        Invoke-KvmLabCommand kvm1 'sh', '-c', (
            "ip link add $Br type bridge stp_state 1 && ip link add ${Br}a type veth peer name ${Br}b && ip link add ${Br}c type veth peer name ${Br}d && " +
            "ip link set ${Br}a master $Br && ip link set ${Br}c master $Br && ip addr add 192.0.2.33/24 dev $Br && ip link set $Br up") | Out-Null
        Invoke-KvmLabCommand kvm1 virsh, net-start, default -IgnoreExitCode | Out-Null
        $script:Guest = New-KvmGuest -Session $S -Name "${P}g" -MemoryBytes 64MB -DiskSizeBytes 8MB -Network default -Start -PassThru -WarningAction SilentlyContinue
    }

    AfterAll {
        Disconnect-KvmHost -All
        Clear-LabGuests kvm1 $P
        Invoke-KvmLabCommand kvm1 'sh', '-c', "ip link del ${Br}a; ip link del ${Br}c; ip link del $Br; true" | Out-Null
    }

    It 'shows a runtime bridge with its ports, address and STP, as ip does' {
        $b = Get-KvmBridge -Session $S -Name $Br
        $b.ComputerName | Should -Be $S.ComputerName
        $b.Ports | Should -Be @("${Br}a", "${Br}c")
        $b.IPAddresses | Should -Be @('192.0.2.33/24')
        $b.Stp | Should -BeTrue
        $b.Backend | Should -Be 'IpRoute'
        $b.Persistent | Should -BeFalse
        $b.GuestInterfaces | Should -BeNullOrEmpty
        $mac = (Invoke-KvmLabCommand kvm1 cat, "/sys/class/net/$Br/address") -join ''
        $b.MacAddress | Should -Be $mac
    }

    It 'shows the bridge of a libvirt network with the running guest''s tap device' {
        $b = Get-KvmBridge -Session $S -Name virbr0
        $b.Backend | Should -Be 'Libvirt'
        $b.Definition | Should -Be 'network default'
        $b.Persistent | Should -BeTrue
        $b.IPAddresses | Should -Contain '192.168.122.1/24'
        $tap = (Get-KvmGuest -Session $S -Name "${P}g").NetworkAdapters[0].Device
        $tap | Should -Not -BeNullOrEmpty
        $b.GuestInterfaces | Should -Contain $tap
        $b.Ports | Should -Contain $tap
    }

    It 'lists every bridge ip knows of, and selects by wildcard' {
        $all = (Get-KvmBridge -Session $S).Name
        $ip = Invoke-KvmLabCommand kvm1 'sh', '-c', 'ip -o link show type bridge | cut -d: -f2 | tr -d " "'
        ($all | Sort-Object) | Should -Be (@($ip | Where-Object { $_ }) | Sort-Object)
        (Get-KvmBridge -Session $S -Name 'KB*').Name | Should -Contain $Br
    }

    It 'reports an exact name that matches nothing with the bridges there are, but not a wildcard' {
        Get-KvmBridge -Session $S -Name 'nosuchbr' -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'BridgeNotFound,*'
        $failed[0].Exception.Message | Should -Match "It has: .*$Br"
        Get-KvmBridge -Session $S -Name 'nosuch*' -ErrorVariable none -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $none | Should -BeNullOrEmpty
    }

    It 'takes host names by the ComputerName property and formats as a table' {
        $b = [pscustomobject]@{ ComputerName = $S.ComputerName } | Get-KvmBridge -Name $Br
        $b.Name | Should -Be $Br
        ($b | Format-Table | Out-String -Width 120) | Should -Match "IpRoute \(runtime\) +True +True +${Br}a, ${Br}c +192\.0\.2\.33/24"
    }
}
