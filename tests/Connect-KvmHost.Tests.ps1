BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Connect-KvmHost -Local' {
    It 'opens a local session without SSH' {
        $s = Connect-KvmHost -Local
        try {
            $s | Should -BeOfType ([KvmPS.KvmSession])
            $s.Transport | Should -Be 'Local'
            $s.State | Should -Be 'Opened'
            $s.IsElevated | Should -Be ((& id -u) -eq '0')
            Get-KvmSession -Id $s.Id | Should -Not -BeNullOrEmpty
        }
        finally { $s | Disconnect-KvmHost }
    }
}

Describe 'Connect-KvmHost input validation' {
    It 'refuses <Name> before connecting anywhere' -ForEach @(
        @{ Name = 'kvm1;touch /tmp/x' }
        @{ Name = 'kvm1$(id)' }
        @{ Name = "kvm1`nid" }
        @{ Name = 'kvm1:99999' }
        @{ Name = '-oProxyCommand=id' }
        @{ Name = "bad'user@kvm1" }
    ) {
        $before = @(Get-KvmSession).Count
        Connect-KvmHost -ComputerName $Name -ErrorVariable failed -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $failed.FullyQualifiedErrorId | Should -BeLike 'InvalidArgument,*'
        @(Get-KvmSession).Count | Should -Be $before
    }

    It 'refuses the session name <Name> before connecting anywhere' -ForEach @(
        @{ Name = 'kvm1;id' }, @{ Name = 'kvm 1' }, @{ Name = '-kvm1' }, @{ Name = 'root@kvm1' }
    ) {
        { Connect-KvmHost -ComputerName kvm1 -Name $Name -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,KvmPS.Commands.ConnectKvmHostCommand'
    }

    It 'refuses a session name that already means another host: <Why>' -ForEach @(
        @{ Why = 'this machine'; Hosts = @('kvm1'); Names = @('localhost') }
        @{ Why = 'another host of the call'; Hosts = @('kvm1', 'kvm2'); Names = @('kvm2', 'kvm1') }
        @{ Why = 'twice in one call'; Hosts = @('kvm1', 'kvm2'); Names = @('web', 'web') }
    ) {
        $before = @(Get-KvmSession).Count
        { Connect-KvmHost -ComputerName $Hosts -Name $Names -ErrorAction Stop } | Should -Throw -ErrorId 'SessionNameInUse,*'
        @(Get-KvmSession).Count | Should -Be $before
    }

    It 'refuses a session name an open session already has' -Skip:(-not $IsLinux) {
        $first = Connect-KvmHost -Local -Name here
        try {
            { Connect-KvmHost -ComputerName kvm9 -Name here -ErrorAction Stop } | Should -Throw -ErrorId 'SessionNameInUse,*'
            { Connect-KvmHost -ComputerName kvm9 -Name localhost -ErrorAction Stop } | Should -Throw -ErrorId 'SessionNameInUse,*'
            (Get-KvmSession -ComputerName here).Id | Should -Be $first.Id
            # The same host again may take the name: the newest session answers to it.
            $second = Connect-KvmHost -Local -Name here
            (Get-KvmSession -ComputerName here).Id | Should -Contain $second.Id
            $second | Disconnect-KvmHost
        }
        finally { $first | Disconnect-KvmHost }
    }

    It 'refuses a -Name count that differs from the hosts named' {
        $before = @(Get-KvmSession).Count
        { Connect-KvmHost -ComputerName kvm1, kvm2 -Name kvm1 -ErrorAction Stop } | Should -Throw -ErrorId 'NameCountMismatch,*'
        @(Get-KvmSession).Count | Should -Be $before
    }
}

Describe 'Connect-KvmHost against lab hosts' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 2
        $script:Lab = Get-KvmLab
        $script:Kvm1 = $Lab.Hosts[0]
        $script:Kvm2 = $Lab.Hosts[1]
        $script:Key = $Lab.KeyFile
        $script:Work = Join-Path ([IO.Path]::GetTempPath()) ("kvmps-connect-" + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory $Work
        # No default identities or known_hosts from the machine's real home.
        $script:SavedHome = $env:HOME
        $env:HOME = $Work
        function script:New-KnownHosts([string[]]$Lines) {
            $path = Join-Path $Work ([guid]::NewGuid().ToString('N'))
            Set-Content -Path $path -Value $Lines
            $path
        }
        function script:Get-PublicKeyLine($Address) {
            # The host's current ed25519 key, as the lab recorded it.
            Get-Content $Lab.KnownHosts | Where-Object { $_ -match "^(\S+,)?$([regex]::Escape($Address))(,\S+)? ssh-ed25519 " } | Select-Object -First 1
        }
        function script:Secure([string]$Text) { ConvertTo-SecureString $Text -AsPlainText -Force }
    }

    AfterAll {
        Disconnect-KvmHost -All
        $env:HOME = $SavedHome
        Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue
    }

    Context 'host keys' {
        It 'refuses an unknown host key, shows its fingerprint and records nothing' {
            $file = New-KnownHosts @()
            $s = Connect-KvmHost "root@$($Kvm1.address)" -KeyFilePath $Key -KnownHostsPath $file -ErrorVariable failed -ErrorAction SilentlyContinue
            $s | Should -BeNullOrEmpty
            $failed.FullyQualifiedErrorId | Should -Be 'HostKeyUnknown,KvmPS.Commands.ConnectKvmHostCommand'
            $failed.Exception.Message | Should -BeLike "*$($Kvm1.hostKeys.'ssh-ed25519')*"
            $failed.ErrorDetails.RecommendedAction | Should -BeLike '*-AcceptNewHostKey*'
            $failed.CategoryInfo.Category | Should -Be 'SecurityError'
            (Get-Item $file).Length | Should -BeLessOrEqual 1
        }

        It 'records a new key with -AcceptNewHostKey, then trusts it without the switch' {
            $file = New-KnownHosts @()
            $s = Connect-KvmHost "root@$($Kvm1.address)" -KeyFilePath $Key -KnownHostsPath $file -AcceptNewHostKey
            $s.HostKeyFingerprint | Should -Be $Kvm1.hostKeys.'ssh-ed25519'
            $recorded = @(Get-Content $file)
            $recorded.Count | Should -Be 1
            $recorded[0] | Should -Match "^$([regex]::Escape($Kvm1.address)) ssh-ed25519 AAAA"
            # The recorded line is valid for OpenSSH too.
            (& ssh-keygen -F $Kvm1.address -f $file) -join "`n" | Should -Match 'ssh-ed25519'
            $again = Connect-KvmHost "root@$($Kvm1.address)" -KeyFilePath $Key -KnownHostsPath $file
            $again.State | Should -Be 'Opened'
            @(Get-Content $file).Count | Should -Be 1
        }

        It 'refuses a changed key even with -AcceptNewHostKey and leaves the file alone' {
            $fake = Join-Path $Work ('fake' + [guid]::NewGuid().ToString('N'))
            & ssh-keygen -q -t ed25519 -N '' -f $fake
            $line = "$($Kvm1.address) " + ((Get-Content "$fake.pub") -split ' ')[0..1] -join ' '
            $file = New-KnownHosts @($line)
            $before = Get-Content -Raw $file
            Connect-KvmHost "root@$($Kvm1.address)" -KeyFilePath $Key -KnownHostsPath $file -AcceptNewHostKey -ErrorVariable failed -ErrorAction SilentlyContinue |
                Should -BeNullOrEmpty
            $failed.FullyQualifiedErrorId | Should -BeLike 'HostKeyChanged,*'
            $failed.Exception.Message | Should -BeLike "*$($Kvm1.hostKeys.'ssh-ed25519')*"
            $failed.ErrorDetails.RecommendedAction | Should -BeLike '*ssh-keygen -R*'
            Get-Content -Raw $file | Should -BeExactly $before
        }

        It 'refuses a key marked @revoked, even when it is also listed as trusted' {
            $trusted = Get-PublicKeyLine $Kvm1.address
            $trusted | Should -Not -BeNullOrEmpty
            $keyPart = ($trusted -split ' ')[1..2] -join ' '
            $file = New-KnownHosts @($trusted, "@revoked * $keyPart")
            Connect-KvmHost "root@$($Kvm1.address)" -KeyFilePath $Key -KnownHostsPath $file -AcceptNewHostKey -ErrorVariable failed -ErrorAction SilentlyContinue |
                Should -BeNullOrEmpty
            $failed.FullyQualifiedErrorId | Should -BeLike 'HostKeyRevoked,*'
        }

        It 'trusts hashed known_hosts entries made by ssh-keygen -H' {
            $file = New-KnownHosts (Get-Content $Lab.KnownHosts)
            & ssh-keygen -q -H -f $file 2>$null
            (Get-Content $file) -join "`n" | Should -Match '^\|1\|'
            $s = Connect-KvmHost "root@$($Kvm2.address)" -KeyFilePath $Key -KnownHostsPath $file
            $s.State | Should -Be 'Opened'
        }
    }

    Context 'authentication and privileges' {
        It 'logs in as root with a key file and runs elevated' {
            $s = Connect-KvmHost -ComputerName $Kvm1.address -UserName root -KeyFilePath $Key -KnownHostsPath $Lab.KnownHosts
            $s.UserName | Should -Be 'root'
            $s.IsElevated | Should -BeTrue
            $s.Elevation | Should -Be 'Root'
            $s.ServerVersion | Should -BeLike 'SSH-2.0-OpenSSH*'
        }

        It 'logs in with a password credential' {
            $cred = [pscredential]::new('kvmuser', (Secure $Kvm1.password))
            $s = Connect-KvmHost -ComputerName $Kvm1.address -Credential $cred -KnownHostsPath $Lab.KnownHosts
            $s.UserName | Should -Be 'kvmuser'
            $s.IsElevated | Should -BeFalse
        }

        It 'reports a wrong password as AuthenticationFailed' {
            $cred = [pscredential]::new('kvmuser', (Secure 'not-the-password'))
            Connect-KvmHost -ComputerName $Kvm1.address -Credential $cred -KnownHostsPath $Lab.KnownHosts -ErrorVariable failed -ErrorAction SilentlyContinue |
                Should -BeNullOrEmpty
            $failed.FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed,*'
            $failed.CategoryInfo.Category | Should -Be 'AuthenticationError'
        }

        It 'elevates with passwordless sudo' {
            $s = Connect-KvmHost -ComputerName "kvmnopw@$($Kvm1.address)" -KeyFilePath $Key -KnownHostsPath $Lab.KnownHosts
            $s.IsElevated | Should -BeTrue
            $s.Elevation | Should -Be 'Sudo'
            (Invoke-TransportCommand -Session $s -Argv 'id', '-u').StdoutText.Trim() | Should -Be '0'
        }

        It 'elevates with -SudoCredential and keeps the password off every command line' {
            $sudo = [pscredential]::new('kvmuser', (Secure $Kvm1.password))
            $s = Connect-KvmHost -ComputerName "kvmuser@$($Kvm1.address)" -KeyFilePath $Key -KnownHostsPath $Lab.KnownHosts -SudoCredential $sudo -Verbose 4>&1 |
                Tee-Object -Variable everything | Where-Object { $_ -is [KvmPS.KvmSession] }
            $s.IsElevated | Should -BeTrue
            ($everything | Out-String) | Should -Not -BeLike "*$($Kvm1.password)*"
            $ps = (Invoke-TransportCommand -Session $s -Argv 'ps', '-eo', 'args').StdoutText
            $ps | Should -Not -BeLike "*$($Kvm1.password)*"
        }

        It 'refuses a wrong sudo password with SudoFailed' {
            $sudo = [pscredential]::new('kvmuser', (Secure 'wrong-sudo-password'))
            Connect-KvmHost -ComputerName "kvmuser@$($Kvm1.address)" -KeyFilePath $Key -KnownHostsPath $Lab.KnownHosts -SudoCredential $sudo -ErrorVariable failed -ErrorAction SilentlyContinue |
                Should -BeNullOrEmpty
            $failed.FullyQualifiedErrorId | Should -BeLike 'SudoFailed,*'
            $failed.Exception.Message | Should -Not -BeLike '*wrong-sudo-password*'
        }

        It 'stays unprivileged for a user without sudo rights' {
            $s = Connect-KvmHost -ComputerName "kvmlimited@$($Kvm1.address)" -KeyFilePath $Key -KnownHostsPath $Lab.KnownHosts
            $s.IsElevated | Should -BeFalse
            $s.Elevation | Should -Be 'None'
        }
    }

    Context 'key types, passphrases and ssh-agent' {
        BeforeAll {
            # Fresh keys of every type, authorized for root on kvm1 only for this run.
            $script:Keys = @{}
            foreach ($type in 'ed25519', 'ecdsa', 'rsa') {
                foreach ($pass in '', 'Secret-Phrase 1') {
                    $path = Join-Path $Work ("id_$type" + $(if ($pass) { '_pw' } else { '' }))
                    & ssh-keygen -q -t $type -N $pass -C "kvmps-test-$type" -f $path
                    $Keys["$type|$pass"] = $path
                    Invoke-KvmLabCommand kvm1 sh, -c, 'cat >> /root/.ssh/authorized_keys' -InputText ((Get-Content "$path.pub") + "`n") | Out-Null
                }
            }
        }

        AfterAll {
            if ($script:AgentPid) { & kill $AgentPid 2>$null }
            $env:SSH_AUTH_SOCK = $null
        }

        It 'authenticates with a <Type> key file' -ForEach @(@{ Type = 'ed25519' }, @{ Type = 'ecdsa' }, @{ Type = 'rsa' }) {
            $s = Connect-KvmHost -ComputerName "root@$($Kvm1.address)" -KeyFilePath $Keys["$Type|"] -KnownHostsPath $Lab.KnownHosts -Verbose 4>&1 |
                Tee-Object -Variable log | Where-Object { $_ -is [KvmPS.KvmSession] }
            $s.State | Should -Be 'Opened'
            ($log | Out-String) | Should -BeLike "*offered key $($Keys["$Type|"])*"
        }

        It 'authenticates with a passphrase-protected <Type> key and -KeyPassphrase' -ForEach @(@{ Type = 'ed25519' }, @{ Type = 'rsa' }) {
            $s = Connect-KvmHost -ComputerName "root@$($Kvm1.address)" -KeyFilePath $Keys["$Type|Secret-Phrase 1"] -KeyPassphrase (Secure 'Secret-Phrase 1') -KnownHostsPath $Lab.KnownHosts
            $s.State | Should -Be 'Opened'
        }

        It 'explains that a protected key needs -KeyPassphrase' {
            Connect-KvmHost -ComputerName "root@$($Kvm1.address)" -KeyFilePath $Keys['ed25519|Secret-Phrase 1'] -KnownHostsPath $Lab.KnownHosts -ErrorVariable failed -ErrorAction SilentlyContinue |
                Should -BeNullOrEmpty
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed,*'
            $failed[0].Exception.Message | Should -BeLike '*passphrase*'
        }

        It 'authenticates with keys held by ssh-agent (SSH_AUTH_SOCK)' {
            $agent = & ssh-agent -s
            $env:SSH_AUTH_SOCK = ($agent | Select-String 'SSH_AUTH_SOCK=([^;]+)').Matches[0].Groups[1].Value
            $script:AgentPid = ($agent | Select-String 'SSH_AGENT_PID=(\d+)').Matches[0].Groups[1].Value
            & ssh-add -q $Keys['rsa|'] 2>$null
            $LASTEXITCODE | Should -Be 0
            # No key file anywhere: only the agent can authenticate (HOME is an empty test folder).
            $s = Connect-KvmHost -ComputerName "root@$($Kvm1.address)" -KnownHostsPath $Lab.KnownHosts -Verbose 4>&1 |
                Tee-Object -Variable log | Where-Object { $_ -is [KvmPS.KvmSession] }
            $s.State | Should -Be 'Opened'
            ($log | Out-String) | Should -BeLike '*agent key kvmps-test-rsa*'
        }
    }

    Context 'session names' {
        It 'finds a session by its -Name in -ComputerName of later commands, Get-KvmSession and Disconnect-KvmHost' {
            $session = Connect-KvmHost -ComputerName "root@$($Kvm2.address)" -Name kvm2 -KeyFilePath $Key -KnownHostsPath $Lab.KnownHosts
            try {
                $session.Name | Should -Be 'kvm2'
                $count = @(Get-KvmSession).Count
                # HOME has no key and no known_hosts: a new connection to "kvm2" would fail, so this is the named session.
                (Get-KvmHost -ComputerName kvm2).HostName | Should -Be $Kvm2.name
                @(Get-KvmSession).Count | Should -Be $count
                (Get-KvmSession -ComputerName kvm*).Id | Should -Contain $session.Id
                Disconnect-KvmHost -ComputerName kvm2
                $session.State | Should -Be 'Closed'
                { Get-KvmHost -ComputerName kvm2 -ErrorAction Stop } | Should -Throw
            }
            finally { if ($session.State -ne 'Closed') { $session | Disconnect-KvmHost } }
        }
    }

    Context 'several hosts' {
        It 'connects in parallel and reports a failing host without stopping the others' {
            $names = "root@$($Kvm1.address)", "root@$($Kvm1.address):2", "root@$($Kvm2.address)"
            $sessions = Connect-KvmHost -ComputerName $names -KeyFilePath $Key -KnownHostsPath $Lab.KnownHosts -ConnectTimeout 5 -ErrorVariable failed -ErrorAction SilentlyContinue
            @($sessions).Count | Should -Be 2
            ($sessions.ComputerName | Sort-Object) | Should -Be (@("root@$($Kvm1.address)", "root@$($Kvm2.address)") | Sort-Object)
            @($failed).Count | Should -Be 1
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'ConnectionFailed,*'
            $failed[0].TargetObject | Should -Be "root@$($Kvm1.address):2"
        }
    }
}
