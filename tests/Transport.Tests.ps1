# The transport under every cmdlet, over real SSH to lab hosts: argv stays argv, bytes stay bytes,
# timeouts and Ctrl+C stop the remote process group, and a lost connection heals itself.
BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'Transport over SSH' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 2
        $script:Lab = Get-KvmLab
        $script:S = Connect-KvmHost "root@$($Lab.hosts[0].address)" -KeyFilePath $Lab.keyFile -KnownHostsPath $Lab.knownHosts
        # The sshd process that serves a session's connection: the first sshd up the shell's parent chain.
        function script:Get-ServingSshd($Session) {
            $chain = (Invoke-TransportCommand -Session $Session -Argv 'sh', '-c', 'p=$PPID; while [ "$p" -gt 1 ]; do c=$(cat /proc/$p/comm); echo "$p $c"; p=$(awk "/^PPid:/ {print \$2}" /proc/$p/status); done').StdoutText
            $found = ($chain -split "`n" | Where-Object { $_ -match '^\d+ sshd' } | Select-Object -First 1) -replace ' .*$', ''
            $found | Should -Not -BeNullOrEmpty
            $found
        }
    }

    AfterAll { Disconnect-KvmHost -All }

    It 'delivers a hostile argument as ONE argv element, byte for byte, and runs none of it' {
        $canary = '/tmp/kvmps-pwned-' + [guid]::NewGuid().ToString('N')
        $hostile = "a'b;touch $canary`$(id)"
        $argv = 'sh', '-c', 'printf "%s\n" "$#"; for a in "$@"; do printf "[%s]" "$a"; done', 'argv0', $hostile
        $r = Invoke-TransportCommand -Session $S -Argv $argv
        $r.Succeeded | Should -BeTrue
        $r.StdoutText | Should -BeExactly "1`n[$hostile]"
        (Invoke-TransportCommand -Session $S -Argv 'sh', '-c', "ls -d $canary* 2>/dev/null | wc -l").StdoutText.Trim() | Should -Be '0'
        Invoke-KvmLabCommand kvm1 sh, -c, "ls -d $canary* 2>/dev/null | wc -l" | Should -Be '0'
        @(Get-ChildItem /tmp -Filter ("kvmps-pwned-*")).Count | Should -Be 0
    }

    It 'keeps every kind of awkward argument intact: <Label>' -ForEach @(
        @{ Label = 'quotes'; Value = "it's `"quoted`" ``back``" }
        @{ Label = 'newline'; Value = "line1`nline2" }
        @{ Label = 'unicode'; Value = 'gäst-虚拟机-🖥' }
        @{ Label = 'flag-like'; Value = '--help' }
        @{ Label = 'glob and vars'; Value = '* ? [a] $HOME ${PATH} ~' }
        @{ Label = 'empty'; Value = '' }
    ) {
        $r = Invoke-TransportCommand -Session $S -Argv 'printf', '%s', $Value
        $r.StdoutText | Should -BeExactly $Value
    }

    It 'returns binary output and feeds binary input unchanged' {
        $bytes = [byte[]](0..255)
        $r = Invoke-TransportCommand -Session $S -Argv 'cat' -Stdin $bytes
        [Convert]::ToBase64String($r.Stdout) | Should -Be ([Convert]::ToBase64String($bytes))
    }

    It 'reports exit codes and stderr separately' {
        $r = Invoke-TransportCommand -Session $S -Argv 'sh', '-c', 'echo out; echo err >&2; exit 7'
        $r.ExitCode | Should -Be 7
        $r.StdoutText | Should -Be "out`n"
        $r.StderrText | Should -Be "err`n"
    }

    It 'stops the whole remote process group on timeout and stays usable' {
        $mark = '4000.' + (Get-Random -Minimum 100000 -Maximum 999999)
        $r = Invoke-TransportCommand -Session $S -Argv 'sh', '-c', "sleep $mark & sleep $mark; wait" -TimeoutSeconds 1
        $r.Outcome | Should -Be 'TimedOut'
        (Invoke-TransportCommand -Session $S -Argv 'pgrep', '-f', "sleep $mark").ExitCode | Should -Be 1
        (Invoke-TransportCommand -Session $S -Argv 'echo', 'alive').StdoutText | Should -Be "alive`n"
    }

    It 'stops the remote command on cancellation (Ctrl+C) and stays usable' {
        $mark = '4001.' + (Get-Random -Minimum 100000 -Maximum 999999)
        $cts = [System.Threading.CancellationTokenSource]::new([TimeSpan]::FromMilliseconds(500))
        $thrown = { Invoke-TransportCommand -Session $S -Argv 'sleep', $mark -CancellationToken $cts.Token } | Should -Throw -PassThru
        # Reflection wraps it in a MethodInvocationException; the transport threw the cancellation.
        $thrown.Exception.InnerException | Should -BeOfType ([OperationCanceledException])
        (Invoke-TransportCommand -Session $S -Argv 'pgrep', '-f', "sleep $mark").ExitCode | Should -Be 1
        $S.State | Should -Be 'Opened'
    }

    It 'detects a lost connection and reconnects on the next command' {
        $s2 = Connect-KvmHost "root@$($Lab.hosts[1].address)" -KeyFilePath $Lab.keyFile -KnownHostsPath $Lab.knownHosts
        $sshd = Get-ServingSshd $s2
        Invoke-KvmLabCommand kvm2 kill, -9, $sshd | Out-Null
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        while ($s2.State -eq 'Opened' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        $s2.State | Should -Be 'Broken'
        (Get-KvmHost -Session $s2 -Refresh).HostName | Should -Be 'kvm2'
        $s2.State | Should -Be 'Opened'
    }

    It 'declares a host that stops answering Broken, and reconnects once it answers again' {
        $s3 = Connect-KvmHost "root@$($Lab.hosts[1].address)" -KeyFilePath $Lab.keyFile -KnownHostsPath $Lab.knownHosts
        $sshd = Get-ServingSshd $s3
        # Frozen, not closed: TCP stays up and only a command timeout can notice.
        Invoke-KvmLabCommand kvm2 kill, -STOP, $sshd | Out-Null
        try {
            $thrown = { Invoke-TransportCommand -Session $s3 -Argv 'true' -TimeoutSeconds 2 } | Should -Throw -PassThru
            $thrown.Exception.InnerException.GetType().Name | Should -Be 'HostUnreachableException'
            $s3.State | Should -Be 'Broken'
        }
        finally {
            Invoke-KvmLabCommand kvm2 kill, -CONT, $sshd -IgnoreExitCode | Out-Null
        }
        (Invoke-TransportCommand -Session $s3 -Argv 'hostname').StdoutText.Trim() | Should -Be 'kvm2'
        $s3.State | Should -Be 'Opened'
    }

    It 'runs a batch of 50 commands and returns all 50 results in order' {
        $asm = $S.GetType().Assembly
        $commandType = $asm.GetType('KvmPS.Transport.RemoteCommand', $true)
        $list = [Array]::CreateInstance($commandType, 50)
        for ($i = 0; $i -lt 50; $i++) { $list[$i] = [Activator]::CreateInstance($commandType, @([string[]]('echo', "$i"), $null, $false, $null)) }
        $options = [Activator]::CreateInstance($asm.GetType('KvmPS.Transport.RunOptions', $true))
        $connection = $S.GetType().GetProperty('Connection', [Reflection.BindingFlags]'NonPublic,Instance').GetValue($S)
        $batch = $connection.Shell.Run($list, $options, [System.Threading.CancellationToken]::None)
        ($batch.Results | ForEach-Object { $_.StdoutText.Trim() }) -join ',' | Should -Be ((0..49) -join ',')
    }
}
