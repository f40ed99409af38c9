BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Remove-KvmNetwork on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 2
        $script:Lab = Get-KvmLab
        $script:H = $Lab.hosts[0]
        $script:S = Connect-LabHost $Lab
        $script:P = 'krn' + (Get-Random -Maximum 9999)
        function Get-Networks { Invoke-KvmLabCommand $H.name 'sh', '-c', 'virsh net-list --all --name | sort; ip -o link show type bridge | cut -d: -f2 | tr -d " "' }
        $null = New-KvmNetwork -Session $S -Name "${P}a" -Mode Isolated -Confirm:$false
        $null = New-KvmNetwork -Session $S -Name "${P}b" -NoAutostart -Confirm:$false
        New-LabGuests $H.name "${P}g" -Count 1
        # A stopped guest with an adapter on ${P}a.
        Invoke-KvmLabCommand $H.name 'sh', '-c', "virsh attach-interface ${P}g1 network ${P}a --config" | Out-Null
    }

    AfterAll {
        Disconnect-KvmHost -All
        Clear-LabGuests $H.name "${P}g"
        Invoke-KvmLabCommand $H.name 'sh', '-c', "for n in `$(virsh net-list --all --name | grep '^$P'); do virsh net-destroy `$n; virsh net-undefine `$n; done; true" | Out-Null
    }

    It 'refuses a network a guest uses, naming the guest, and changes nothing' {
        $before = Get-Networks
        Remove-KvmNetwork -Session $S -Name "${P}a" -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'NetworkInUse,*'
        $failed[0].Exception.Message | Should -Match "${P}g1"
        Get-Networks | Should -Be $before
    }

    It 'refuses names that do not exist or cannot be names' -TestCases @(
        @{ Name = 'nosuchnet'; Id = 'NetworkNotFound' }
        @{ Name = 'x;reboot'; Id = 'InvalidNetworkName' }
    ) {
        param($Name, $Id)
        Remove-KvmNetwork -Session $S -Name $Name -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
    }

    It '-WhatIf shows the virsh commands and removes nothing' {
        $before = Get-Networks
        $out = Get-WhatIfText { Remove-KvmNetwork -Session $S -Name "${P}b" -WhatIf }
        $out | Should -Match "virsh -c qemu:///system net-destroy ${P}b; virsh -c qemu:///system net-undefine ${P}b"
        Get-Networks | Should -Be $before
    }

    It 'stops and undefines networks from the pipeline, its bridge with them; -Force for one in use' {
        $bridges = (Get-KvmNetwork -Session $S -Name "${P}*").Bridge
        Get-KvmNetwork -Session $S -Name "${P}*" | Remove-KvmNetwork -Force -Confirm:$false -WarningVariable warned -WarningAction SilentlyContinue
        ($warned -join "`n") | Should -Match "the guests ${P}g1 use the network ${P}a"
        Get-KvmNetwork -Session $S -Name "${P}*" | Should -BeNullOrEmpty
        $left = Get-Networks
        foreach ($b in $bridges) { $left | Should -Not -Contain $b }
    }
}
