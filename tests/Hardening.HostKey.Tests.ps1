# Issue 8, host identity: Connect-KvmHost against a real sshd, next to the OpenSSH client on the same
# known_hosts file, for unknown, changed and revoked keys, hashed entries, [host]:port entries and
# @cert-authority host certificates. Each case expects a verdict, and both must reach it. (The xunit
# oracle tests/units/Security/SshClientOracleTests.cs does the same for KnownHosts.Check alone, with
# more certificate and pattern cases.)

BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
    if (-not $LabSkip -and -not (Get-Command ssh -ErrorAction SilentlyContinue)) { $script:LabSkip = 'no OpenSSH client (ssh) to compare with' }
    $script:Cases = @(
        @{ Case = 'unknown: empty file'; Port = 22; Expected = 'Refused'; Lines = { @() } }
        @{ Case = 'trusted key'; Port = 22; Expected = 'AcceptedByKey'; Lines = { $Trusted } }
        @{ Case = 'changed key'; Port = 22; Expected = 'Changed'; Lines = { "$Address $Fake" } }
        @{ Case = 'only an ecdsa key known: that type is asked for'; Port = 22; Expected = 'AcceptedByKey'; Lines = { $Trusted | Where-Object { $_ -match ' ecdsa-sha2-nistp256 ' } } }
        @{ Case = 'revoked ed25519 key, also listed as trusted, other types known'; Port = 22; Expected = 'AcceptedByKey'; Lines = { $Trusted; "@revoked * $HostKey" } }
        @{ Case = 'revoked key, also listed as trusted, no other type'; Port = 22; Expected = 'Revoked'; Lines = { "$Address $HostKey"; "@revoked * $HostKey" } }
        @{ Case = 'hashed trusted entries (ssh-keygen -H)'; Port = 22; Expected = 'AcceptedByKey'; Lines = { $Trusted }; Hash = $true }
        @{ Case = 'hashed changed entry'; Port = 22; Expected = 'Changed'; Lines = { "$Address $Fake" }; Hash = $true }
        @{ Case = '[host]:port entry'; Port = 2222; Expected = 'AcceptedByKey'; Lines = { "[$Address]:2222 $HostKey" } }
        @{ Case = 'plain entry serves another port'; Port = 2222; Expected = 'AcceptedByKey'; Lines = { "$Address $HostKey" } }
        # A known divergence, KvmPS stricter: this sshd presents a host certificate, ssh negotiates it (its default
        # order puts certificates first), finds no CA, retries with the plain key and then accepts the plain-name entry
        # although [host]:2222 records another key. Without the certificate ssh says Changed here, as KvmPS does.
        @{ Case = '[host]:port entry with another key, the plain entry right'; Port = 2222; Expected = 'AcceptedByKey'; KvmPS = 'Changed'; Lines = { "$Address $HostKey"; "[$Address]:2222 $Fake" } }
        @{ Case = 'only a plain entry of another type, another port'; Port = 2222; Expected = 'Refused'; Lines = { $Trusted | Where-Object { $_ -match ' ecdsa-sha2-nistp256 ' } } }
        @{ Case = 'only another port known'; Port = 2222; Expected = 'Refused'; Lines = { "[$Address]:2200 $HostKey" } }
        @{ Case = 'hashed [host]:port entry'; Port = 2222; Expected = 'AcceptedByKey'; Lines = { "[$Address]:2222 $HostKey" }; Hash = $true }
        @{ Case = '@cert-authority for the host'; Port = 22; Expected = 'AcceptedByCertificate'; Lines = { "@cert-authority $Address $CaKey" } }
        @{ Case = '@cert-authority with a wildcard'; Port = 22; Expected = 'AcceptedByCertificate'; Lines = { "@cert-authority 198.18.* $CaKey" } }
        @{ Case = '@cert-authority for [host]:port'; Port = 2222; Expected = 'AcceptedByCertificate'; Lines = { "@cert-authority [$Address]:2222 $CaKey" } }
        # ssh-keygen -H leaves marked lines alone: the name is hashed here as ssh does (HMAC-SHA1, random salt).
        @{ Case = '@cert-authority for a hashed name'; Port = 22; Expected = 'AcceptedByCertificate'; Lines = { "@cert-authority $(ConvertTo-HashedHostName $Address) $CaKey" } }
        @{ Case = '@cert-authority of another CA'; Port = 22; Expected = 'Refused'; Lines = { "@cert-authority * $OtherCaKey" } }
        @{ Case = '@cert-authority for other hosts only'; Port = 22; Expected = 'Refused'; Lines = { "@cert-authority *.example.com $CaKey" } }
        @{ Case = '@cert-authority whose CA is @revoked'; Port = 22; Expected = 'Revoked'; Lines = { "@cert-authority * $CaKey"; "@revoked * $CaKey" } }
        @{ Case = 'another CA, but the plain key is trusted'; Port = 22; Expected = 'AcceptedByKey'; Lines = { "@cert-authority * $OtherCaKey"; $Trusted } }
    )
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest

    # What the OpenSSH client decided, from its -v output (as SshClientOracleTests reads it).
    function Get-OpenSshVerdict([string]$KnownHosts, [int]$Port) {
        $stderr = & ssh -F /dev/null -v -p $Port -i $Lab.keyFile -o BatchMode=yes -o StrictHostKeyChecking=yes `
            -o "UserKnownHostsFile=$KnownHosts" -o GlobalKnownHostsFile=/dev/null -o CheckHostIP=no -o UpdateHostKeys=no `
            -o IdentitiesOnly=yes -o ConnectTimeout=10 "root@$Address" true 2>&1 | Out-String
        $exit = $LASTEXITCODE
        if ($stderr -match 'REVOKED HOST KEY DETECTED') { return 'Revoked' }
        if ($stderr -match 'REMOTE HOST IDENTIFICATION HAS CHANGED') { return 'Changed' }
        if ($stderr -match 'Host key verification failed') { return 'Refused' }
        $matched = [regex]::Matches($stderr, 'is known and matches the \S+ host (certificate|key)')
        if ($exit -eq 0 -and $matched.Count) {
            return $(if ($matched[$matched.Count - 1].Groups[1].Value -eq 'certificate') { 'AcceptedByCertificate' } else { 'AcceptedByKey' })
        }
        throw "Inconclusive ssh run (exit $exit): $stderr"
    }

    function ConvertTo-HashedHostName([string]$Name) {
        $salt = [byte[]]::new(20)
        [Security.Cryptography.RandomNumberGenerator]::Fill($salt)
        $hmac = [Security.Cryptography.HMACSHA1]::new($salt)
        try { '|1|' + [Convert]::ToBase64String($salt) + '|' + [Convert]::ToBase64String($hmac.ComputeHash([Text.Encoding]::ASCII.GetBytes($Name))) }
        finally { $hmac.Dispose() }
    }

    # What Connect-KvmHost decided: its error, or the trust its verbose output names (as ssh -v does).
    function Get-KvmPSVerdict([string]$KnownHosts, [int]$Port) {
        $verbose = Connect-KvmHost "root@$Address" -Port $Port -KeyFilePath $Lab.keyFile -KnownHostsPath $KnownHosts -Verbose -ErrorVariable failed -ErrorAction SilentlyContinue 4>&1
        $s = $verbose | Where-Object { $_ -is [KvmPS.KvmSession] }
        if ($s) {
            Disconnect-KvmHost -Session $s
            $text = ($verbose | Where-Object { $_ -is [Management.Automation.VerboseRecord] }) -join "`n"
            if ($text -match 'is signed by a trusted certificate authority') { return 'AcceptedByCertificate' }
            if ($text -match 'is known and matches') { return 'AcceptedByKey' }
            return "Connected, but the verbose output names no trust: $text"
        }
        switch -Wildcard ($failed[0].FullyQualifiedErrorId) {
            'HostKeyUnknown,*' { 'Refused' }
            'HostKeyRejected,*' { 'Refused' }
            'HostKeyChanged,*' { 'Changed' }
            'HostKeyRevoked,*' { 'Revoked' }
            default { "Error $($failed[0].FullyQualifiedErrorId): $($failed[0])" }
        }
    }

    function Write-HostFile([string]$Path, [string]$Text) {
        # The host's /etc/ssh is a bind mount: write in place (no rename).
        Invoke-KvmLabCommand kvm1 sh, -c, 'cat > "$1"', sh, $Path -InputText $Text | Out-Null
    }

    function Restart-LabSshd([int]$ExpectPort, [bool]$Listening) {
        Invoke-KvmLabCommand kvm1 sh, -c, 'kill -HUP "$(cat /run/sshd.pid)"' | Out-Null
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        do {
            Start-Sleep -Milliseconds 100
            $up = [bool](Invoke-KvmLabCommand kvm1 ss, -Hltn, "sport = :$ExpectPort")
        } until ($up -eq $Listening -or [DateTime]::UtcNow -gt $deadline)
        if ($up -ne $Listening) { throw "kvm1's sshd did not $(if ($Listening) { 'start' } else { 'stop' }) listening on port $ExpectPort" }
    }
}

Describe 'Host keys: Connect-KvmHost decides as the OpenSSH client does on the same known_hosts' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 1
        $script:Lab = Get-KvmLab
        $script:Address = $Lab.hosts[0].address
        $script:Work = Join-Path ([IO.Path]::GetTempPath()) ("kvmps-hostkey-" + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory $Work
        $script:Trusted = @(Get-Content $Lab.knownHosts | Where-Object { ($_ -split ' ')[0] -split ',' -contains $Address })
        $script:HostKey = ((Invoke-KvmLabCommand kvm1 cat, /etc/ssh/ssh_host_ed25519_key.pub) -split ' ')[0..1] -join ' '
        foreach ($name in 'fake', 'ca', 'otherca') { & ssh-keygen -q -t ed25519 -N '' -C $name -f "$Work/$name" }
        $script:Fake = ((Get-Content "$Work/fake.pub") -split ' ')[0..1] -join ' '
        $script:CaKey = ((Get-Content "$Work/ca.pub") -split ' ')[0..1] -join ' '
        $script:OtherCaKey = ((Get-Content "$Work/otherca.pub") -split ' ')[0..1] -join ' '

        # A host certificate for kvm1's ed25519 key, signed by the test's CA for its address, and a
        # second port: what the cases need, added to kvm1's sshd and taken away again in AfterAll.
        Set-Content "$Work/host.pub" $HostKey
        & ssh-keygen -q -s "$Work/ca" -I kvm1 -h -n $Address -V '-5m:+2h' "$Work/host.pub"
        if ($LASTEXITCODE) { throw 'ssh-keygen could not sign the host key' }
        Write-HostFile /etc/ssh/ssh_host_ed25519_key-cert.pub (Get-Content "$Work/host-cert.pub" -Raw)
        $script:SshdConfig = (Invoke-KvmLabCommand kvm1 cat, /etc/ssh/sshd_config) -join "`n"
        Write-HostFile /etc/ssh/sshd_config ($SshdConfig + "`nPort 2222`nHostCertificate /etc/ssh/ssh_host_ed25519_key-cert.pub`n")
        Restart-LabSshd 2222 $true
    }

    AfterAll {
        Disconnect-KvmHost -All
        Write-HostFile /etc/ssh/sshd_config ($SshdConfig + "`n")
        Invoke-KvmLabCommand kvm1 rm, -f, /etc/ssh/ssh_host_ed25519_key-cert.pub | Out-Null
        Restart-LabSshd 2222 $false
        Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue
    }

    It '<Case> (port <Port>): ssh says <Expected>' -ForEach $Cases {
        $file = Join-Path $Work ([guid]::NewGuid().ToString('N'))
        Set-Content -Path $file -Value @(& $Lines)
        if ($Hash) {
            & ssh-keygen -q -H -f $file 2>$null
            Get-Content $file -Raw | Should -Not -Match ([regex]::Escape($Address)) -Because 'ssh-keygen -H hashed every name'
        }
        $openSsh = Get-OpenSshVerdict $file $Port
        $kvmPS = Get-KvmPSVerdict $file $Port
        $lines = (Get-Content $file) -join "`n"
        $openSsh | Should -Be $Expected -Because "the case is what OpenSSH does, with:`n$lines"
        $kvmPS | Should -Be $(if ($KvmPS) { $KvmPS } else { $openSsh }) -Because "Connect-KvmHost must decide as ssh does (or as the case says it knowingly differs), with:`n$lines"
    }
}
