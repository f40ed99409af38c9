BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Get-KvmNetwork on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 1
        $script:Lab = Get-KvmLab
        $script:S = Connect-LabHost $Lab
        Invoke-KvmLabCommand kvm1 virsh, net-start, default -IgnoreExitCode | Out-Null
        # An isolated network defined but not started, with a name a shell would misread.
        $script:Iso = "kvmps iso;`$(id)$(Get-Random -Maximum 9999)"
        $xml = "<network><name>$Iso</name><bridge name='kvmpsiso0'/><ip address='10.77.0.1' prefix='16'/></network>"
        Invoke-KvmLabCommand kvm1 virsh, net-define, /dev/stdin -InputText $xml | Out-Null
    }

    AfterAll {
        Disconnect-KvmHost -All
        Invoke-KvmLabCommand kvm1 virsh, net-undefine, $Iso -IgnoreExitCode | Out-Null
    }

    It 'shows the NAT network default as virsh does' {
        $n = Get-KvmNetwork -Session $S -Name default
        $n.ComputerName | Should -Be $S.ComputerName
        $n.Bridge | Should -Be 'virbr0'
        $n.ForwardMode | Should -Be 'nat'
        $n.IPAddress | Should -Be '192.168.122.1'
        $n.Subnet | Should -Be '192.168.122.0/24'
        $n.DhcpRange | Should -Be '192.168.122.2-192.168.122.254'
        $n.Active | Should -BeTrue
        $info = (Invoke-KvmLabCommand kvm1 virsh, net-info, default) -join "`n"
        $n.Uuid.ToString() | Should -Be ([regex]::Match($info, 'UUID:\s+(\S+)').Groups[1].Value)
        $n.Autostart | Should -Be ($info -match 'Autostart:\s+yes')
    }

    It 'shows an inactive isolated network with an odd name literally' {
        $n = Get-KvmNetwork -Session $S -Name $Iso
        $n.Name | Should -Be $Iso
        $n.ForwardMode | Should -Be 'isolated'
        $n.Subnet | Should -Be '10.77.0.0/16'
        $n.Active | Should -BeFalse
        $n.Persistent | Should -BeTrue
    }

    It 'lists every network virsh lists, and selects by wildcard' {
        $names = (Get-KvmNetwork -Session $S).Name
        $virsh = Invoke-KvmLabCommand kvm1 virsh, net-list, --all, --name | Where-Object { $_ }
        ($names | Sort-Object) | Should -Be ($virsh | Sort-Object)
        (Get-KvmNetwork -Session $S -Name 'KVMPS ISO*').Name | Should -Be $Iso
    }

    It 'reports an exact name that matches nothing with the networks there are' {
        Get-KvmNetwork -Session $S -Name 'nosuchnet' -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'NetworkNotFound,*'
        $failed[0].Exception.Message | Should -Match 'It has: .*default'
    }

    It 'formats as a table of 120 columns with the subnet, and a list with the DHCP range' {
        $network = Get-KvmNetwork -Session $S -Name default
        ($network | Format-Table | Out-String -Width 120) | Should -Match "default +$([regex]::Escape($network.ComputerName)) +True +(True|False) +nat +virbr0 +192\.168\.122\.0/24"
        ($network | Format-List | Out-String -Width 120) | Should -Match '(?m)^DhcpRange +: 192\.168\.122\.2-192\.168\.122\.254'
    }
}
