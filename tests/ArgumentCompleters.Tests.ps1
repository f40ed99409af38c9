# Tab completion, as PowerShell's own TabExpansion2 runs it: host names from sessions and
# ~/.ssh/known_hosts, and the guests, networks, bridges and NICs of the host the line targets.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'common.ps1')
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')
    Import-KvmPSUnderTest
    function script:Complete([string]$Line) {
        @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText)
    }
}

Describe 'Host name completion' {
    BeforeAll {
        $script:SavedHome = $env:HOME
        $env:HOME = Join-Path ([IO.Path]::GetTempPath()) ("kvmps-complete-" + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory "$env:HOME/.ssh"
        @(
            'kvm-east1.example.com,192.0.2.21 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'
            '[kvm-east2.example.com]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'
            '|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|aGFzaGhhc2hoYXNoaGFzaGhhc2g= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'
            '*.example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'
        ) | Set-Content "$env:HOME/.ssh/known_hosts"
    }
    AfterAll {
        Remove-Item $env:HOME -Recurse -Force
        $env:HOME = $SavedHome
    }

    It 'offers the hosts of ~/.ssh/known_hosts written in clear, for -ComputerName of <_>' -ForEach 'Get-KvmGuest', 'Connect-KvmHost', 'New-KvmBridge', 'Test-KvmCapability' {
        Complete "$_ -ComputerName kvm-east" | Should -Be @('kvm-east1.example.com', "'kvm-east2.example.com:2222'")
    }

    It 'offers them for Move-KvmGuest -Destination' {
        Complete 'Move-KvmGuest -Name web1 -Destination 192.0' | Should -Be @("'192.0.2.21'")
    }

    It 'offers nothing for a host it does not know' {
        Complete 'Get-KvmHost -ComputerName nosuchhost' | Should -BeNullOrEmpty
    }
}

Describe 'Completion of what is on the target host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 1
        $script:Lab = Get-KvmLab
        $script:Kvm1 = $Lab.Hosts[0]
        $script:Session = Connect-KvmHost -ComputerName "root@$($Kvm1.address)" -Name kvm1 -KeyFilePath $Lab.KeyFile -KnownHostsPath $Lab.KnownHosts
        New-TinyLabGuest -HostName $Kvm1.name -Name cmpl-web1 -NoStart
        New-TinyLabGuest -HostName $Kvm1.name -Name cmpl-quote -NoStart
        Invoke-KvmLabCommand $Kvm1.name 'virsh', 'domrename', 'cmpl-quote', "cmpl-it's" | Out-Null
        Invoke-KvmLabCommand $Kvm1.name 'sh', '-c', 'ip link add cmplbr0 type bridge && ip link add cmpl-nic type veth peer name cmpl-nicp' | Out-Null
        $script:Networks = @(Invoke-KvmLabCommand $Kvm1.name 'virsh', 'net-list', '--all', '--name' | Where-Object { $_ })
    }
    AfterAll {
        Invoke-KvmLabCommand $Kvm1.name 'sh', '-c', 'for d in $(virsh list --all --name); do case $d in cmpl-*) virsh undefine "$d";; esac; done >/dev/null; ip link del cmplbr0; ip link del cmpl-nic; true' | Out-Null
        Disconnect-KvmHost -All
    }

    It 'offers the guests of the host named by -ComputerName (its session name), quoted where needed' {
        Complete 'Get-KvmGuest -ComputerName kvm1 -Name cmpl' | Should -Be @("'cmpl-it''s'", 'cmpl-web1')
        Complete 'Start-KvmGuest -ComputerName kvm1 -Name cmpl-w' | Should -Be @('cmpl-web1')
    }

    It 'offers the guests of the host of -Session' {
        Complete 'Remove-KvmGuest -Session $Session -Name cmpl-w' | Should -Be @('cmpl-web1')
    }

    It 'offers bridges for -Bridge and for the bridge cmdlets' {
        Complete 'New-KvmGuest -ComputerName kvm1 -Name x -Bridge cmpl' | Should -Be @('cmplbr0')
        Complete 'Get-KvmBridge -ComputerName kvm1 -Name cmpl' | Should -Be @('cmplbr0')
        Complete 'Remove-KvmBridge -ComputerName kvm1 -Name cmpl' | Should -Be @('cmplbr0')
    }

    It 'offers NICs a bridge can take for New-KvmBridge -InterfaceName, not bridges' {
        $offered = Complete 'New-KvmBridge -ComputerName kvm1 -InterfaceName '
        $offered | Should -Contain 'cmpl-nic'
        $offered | Should -Not -Contain 'cmplbr0'
        $offered | Should -Not -Contain 'lo'
    }

    It 'offers the libvirt networks for -Network and the network cmdlets' {
        $Networks | Should -Not -BeNullOrEmpty -Because 'the lab host has libvirt networks to offer'
        Complete 'New-KvmGuest -ComputerName kvm1 -Name x -Network ' | Should -Be @($Networks | Sort-Object)
        Complete 'Get-KvmNetwork -ComputerName kvm1 -Name ' | Should -Be @($Networks | Sort-Object)
    }

    It 'offers the names of open sessions for -ComputerName' {
        Complete 'Get-KvmHost -ComputerName kvm' | Should -Contain 'kvm1'
        Complete "Get-KvmHost -ComputerName root@$($Kvm1.address)" | Should -Be @("'root@$($Kvm1.address)'")
    }
}
