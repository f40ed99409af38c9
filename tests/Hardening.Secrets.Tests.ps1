# Issue 8, secrets: passwords, passphrases and sudo passwords never appear in verbose, debug,
# progress, warning or information output, error records, $Error, transcripts, the process list, or
# files left on the host or here. Every secret gets its own random marker; Hardening.Secrets.Child.ps1
# runs the cmdlets that use them (right and wrong values) in a child pwsh while the process list is
# sampled, then every place is searched for every marker, also as UTF-16 and base64.

BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
    $script:Places = 'Verbose', 'Debug', 'Progress', 'Warning', 'Information', 'Error', 'Terminating', 'Output',
        'ErrorVariable', 'Transcript', 'ProcessList', 'HostFiles', 'LocalFiles' | ForEach-Object { @{ Place = $_ } }
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest

    # The marker's forms a leak could take in text (as typed, base64 of its UTF-8 at any alignment)
    # and, for files, as bytes read one byte per char (plus UTF-16 little and big endian).
    function script:Get-MarkerForm([string]$Marker, [switch]$Bytes) {
        $latin1 = [Text.Encoding]::Latin1
        $forms = [Collections.Generic.List[string]]::new()
        $forms.Add($(if ($Bytes) { $latin1.GetString([Text.Encoding]::UTF8.GetBytes($Marker)) } else { $Marker }))
        foreach ($skip in 0, 1, 2) {
            # The first 4 characters also encode the bytes before the marker, the last 4 the ones after.
            $b64 = [Convert]::ToBase64String([byte[]](@(0) * $skip + [Text.Encoding]::UTF8.GetBytes($Marker)))
            $forms.Add($b64.Substring($(if ($skip) { 4 } else { 0 }), $b64.Length - 4 - $(if ($skip) { 4 } else { 0 })))
        }
        if ($Bytes) {
            $forms.Add($latin1.GetString([Text.Encoding]::Unicode.GetBytes($Marker)))
            $forms.Add($latin1.GetString([Text.Encoding]::BigEndianUnicode.GetBytes($Marker)))
        }
        $forms
    }

    # Sets lab users' passwords ("user:password" lines). chpasswd cannot: a lab host's /etc/shadow is a
    # bind mount, which its rename would replace. Passwords travel on stdin, never on a command line.
    function script:Set-LabPassword([string]$HostName, [string[]]$Lines) {
        $script = 'while IFS=: read -r u p; do h=$(printf "%s\n" "$p" | openssl passwd -6 -stdin) || exit 1; ' +
            's=$(awk -F: -v OFS=: -v u="$u" -v h="$h" ''$1 == u { $2 = h } { print }'' /etc/shadow) && printf "%s\n" "$s" > /etc/shadow || exit 1; done'
        Invoke-KvmLabCommand $HostName 'sh', '-c', $script -InputText (($Lines -join "`n") + "`n") | Out-Null
    }

    # Files on a lab host holding a marker: plain and base64 with grep -F, UTF-16 with one grep -P
    # alternation (the UTF-16LE bytes are also in UTF-16BE), NULs dropped from what matched, so a UTF-16
    # match reads as the marker. Patterns travel on stdin (printf is a builtin), never on a command
    # line. Returns the number of files searched, then "file:match" lines.
    function script:Search-LabHostFile([string]$HostName) {
        $forms = foreach ($m in $Secrets.Values) { Get-MarkerForm $m }
        $utf16 = ($Secrets.Values | ForEach-Object { (($_.ToCharArray() | ForEach-Object { '\x{0:x2}' -f [int]$_ }) -join '\x00') }) -join '|'
        $dirs = '/tmp /var/tmp /run /root /home /var/log /etc/libvirt /var/lib/libvirt'
        $script = "find $dirs -type f 2>/dev/null | wc -l`n" +
            "printf '%s\n' $(($forms | ForEach-Object { "'$_'" }) -join ' ') | grep -raoF -D skip -f - $dirs 2>/dev/null`n" +
            "printf '%s\n' '$utf16' | grep -raoP -D skip -f - $dirs 2>/dev/null | tr -d '\000'`nexit 0`n"
        Invoke-KvmLabCommand $HostName 'sh', '-s' -InputText $script
    }

    # Which secrets' markers a text holds: one finding per secret and form.
    function script:Find-Marker([string]$Text, [string]$Place, [string]$Where, [switch]$Bytes) {
        if (-not $Text) { return }
        foreach ($name in $Secrets.Keys) {
            foreach ($form in (Get-MarkerForm $Secrets[$name] -Bytes:$Bytes)) {
                $at = $Text.IndexOf($form, [StringComparison]::Ordinal)
                if ($at -ge 0) {
                    $context = $Text.Substring([math]::Max(0, $at - 120), [math]::Min(240, $Text.Length - [math]::Max(0, $at - 120))) -replace '[^\x20-\x7e]', '.'
                    [pscustomobject]@{ Secret = $name; Place = $Place; Where = "$Where ... $context" }
                    break
                }
            }
        }
    }
}

Describe 'Secret parameters of KvmPS' {
    It 'are exactly the ones this file gives a marker (a new one must be added here)' {
        $secretTypes = [securestring], [pscredential]
        $found = Get-Command -Module KvmPS | ForEach-Object {
            foreach ($p in $_.Parameters.Values) {
                if ($p.ParameterType -in $secretTypes -or $p.Name -match 'Passw|Passphrase|Secret|Credential|Token|PrivateKey') { "$($_.Name) -$($p.Name)" }
            }
        } | Sort-Object -Unique
        $found | Should -Be @('Connect-KvmHost -Credential', 'Connect-KvmHost -KeyPassphrase', 'Connect-KvmHost -SudoCredential', 'New-KvmGuest -Password')
    }
}

Describe 'Secrets never leak' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 1
        $script:Lab = Get-KvmLab
        $h = $Lab.hosts[0]
        $script:P = New-GuestPrefix 'sec'
        $script:Work = Join-Path ([IO.Path]::GetTempPath()) ('kvmps-secrets-' + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory "$Work/home", "$Work/tmp", "$Work/spec", "$Work/keys"
        $stamp = Join-Path $Work 'stamp'
        $null = New-Item -ItemType File $stamp

        # Every secret its own marker, so that a finding names the secret.
        $script:Secrets = [ordered]@{}
        foreach ($name in 'SshPassword', 'SudoPassword', 'KeyPassphrase', 'GuestPassword', 'SpecPassword',
            'WrongSshPassword', 'WrongSudoPassword', 'WrongKeyPassphrase') {
            $Secrets[$name] = 'Kvm-Marker-' + [guid]::NewGuid().ToString('N').Substring(0, 16)
        }

        # kvmlimited logs in with the SSH password; kvmuser (sudo asks) elevates with the sudo one.
        Set-LabPassword $h.name "kvmlimited:$($Secrets.SshPassword)", "kvmuser:$($Secrets.SudoPassword)"
        # The encrypted key is made before the process list is watched (ssh-keygen -N is on our argv).
        & ssh-keygen -q -t ed25519 -N $Secrets.KeyPassphrase -C kvmps-secrets-test -f "$Work/keys/enc" | Out-Null
        Invoke-KvmLabCommand $h.name 'sh', '-c', 'cat >> /root/.ssh/authorized_keys' -InputText (Get-Content -Raw "$Work/keys/enc.pub") | Out-Null
        Invoke-KvmLabCommand $h.name virsh, net-start, default -IgnoreExitCode | Out-Null

        $spec = "guests:`n  - name: ${P}spec`n    memoryBytes: 64MB`n    diskSizeBytes: 8MB`n    cloudInit:`n      user: ops`n      password: $($Secrets.SpecPassword)`n"
        Set-Content "$Work/spec/good.yaml" $spec
        # Specs the reader refuses, each with the password where a parser would quote it back.
        $bad = @(
            "guests:`n  - name: ${P}bad1`n    cloudInit:`n      password: [$($Secrets.SpecPassword), x]`n"
            "guests:`n  - name: ${P}bad2`n    cloudInit:`n      password: `"$($Secrets.SpecPassword)`n"
            "guests:`n  - name: ${P}bad3`n    cloudInit:`n      password: {p: $($Secrets.SpecPassword)}`n"
            "guests:`n  - name: ${P}bad4`n    cloudInit:`n      password: $($Secrets.SpecPassword)`n      pasword: $($Secrets.SpecPassword)`n"
            "guests:`n  - name: ${P}bad5`n    memroyBytes: 1`n    cloudInit:`n      password: $($Secrets.SpecPassword)`n"
            "guests:`n  - name: ${P}bad6`n    cloudInit:`n      password: $($Secrets.SpecPassword)`n     user: x`n"
        )
        $badFiles = for ($i = 0; $i -lt $bad.Count; $i++) { $f = "$Work/spec/bad$i.yaml"; Set-Content $f $bad[$i]; $f }
        Set-Content "$Work/spec/user-data" "#cloud-config`n"

        @{
            Secrets = $Secrets; A = $h.address; KH = $Lab.knownHosts; LabKey = $Lab.keyFile; EncKey = "$Work/keys/enc"; P = $P
            SpecFile = "$Work/spec/good.yaml"; BadSpecFiles = @($badFiles); UserDataFile = "$Work/spec/user-data"
            LabModule = (Join-Path $PSScriptRoot 'lab/KvmLab.psm1')
        } | ConvertTo-Json | Set-Content "$Work/input.json"
        $patterns = "$Work/patterns"
        $Secrets.Values | Set-Content $patterns

        # The process list (every process of the machine: lab hosts have no pid namespace), sampled
        # until the child is done; argv and environment. A 'sudo -S' in our lab host's network
        # namespace (other labs run their own) proves it was watching while the sudo session ran.
        $labNetNs = Invoke-KvmLabCommand $h.name readlink, /proc/self/ns/net
        $sampler = @'
pat=$1 out=$2 stop=$3 ns=$4 n=0 sudo=0
: > "$out"
while [ ! -e "$stop" ]; do
    snap=$(ps -ww -eo pid=,args=)
    printf '%s\n' "$snap" | grep -F -f "$pat" | sed 's/^/args: /' >> "$out"
    for p in $(printf '%s\n' "$snap" | awk '/sudo -S -p/ { print $1 }'); do
        [ "$(readlink /proc/$p/ns/net 2>/dev/null)" = "$ns" ] && { sudo=$((sudo + 1)); break; }
    done
    [ $((n % 5)) = 0 ] && grep -aoF -f "$pat" /proc/[0-9]*/environ 2>/dev/null | sed 's/^/environ: /' >> "$out"
    n=$((n + 1))
    sleep 0.05
done
echo "$n $sudo" > "$out.count"
'@
        $samplerInfo = [Diagnostics.ProcessStartInfo]::new('bash')
        foreach ($a in '-c', $sampler, 'sampler', $patterns, "$Work/ps-hits", "$Work/ps-stop", $labNetNs) { $samplerInfo.ArgumentList.Add($a) }
        $samplerProcess = [Diagnostics.Process]::Start($samplerInfo)

        # The child: its own HOME and temp directory (searched afterwards), no ssh-agent.
        $child = [Diagnostics.ProcessStartInfo]::new((Get-PwshPath))
        foreach ($a in '-NoProfile', '-NonInteractive', '-File', (Join-Path $PSScriptRoot 'Hardening.Secrets.Child.ps1'), $Work) { $child.ArgumentList.Add($a) }
        $child.Environment['HOME'] = "$Work/home"
        $child.Environment['TMPDIR'] = "$Work/tmp"
        $child.Environment['TMP'] = "$Work/tmp"
        $child.Environment['KVMPS_MODULE_PATH'] = (Get-KvmPSModulePath)
        $child.Environment['KVMPS_SECRETS_WORK'] = $Work
        $null = $child.Environment.Remove('SSH_AUTH_SOCK')
        $child.RedirectStandardOutput = $child.RedirectStandardError = $true
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $childProcess = [Diagnostics.Process]::Start($child)
        $childOut = $childProcess.StandardOutput.ReadToEndAsync()
        $childErr = $childProcess.StandardError.ReadToEndAsync()
        if (-not $childProcess.WaitForExit(300000)) { $childProcess.Kill($true); throw 'the child pwsh did not finish in 300 s' }
        $childProcess.WaitForExit()
        $script:ChildSeconds = [math]::Round($clock.Elapsed.TotalSeconds, 1)
        $null = New-Item -ItemType File "$Work/ps-stop"
        $null = $samplerProcess.WaitForExit(10000)
        $script:ChildConsole = $childOut.Result + $childErr.Result
        if ($childProcess.ExitCode -ne 0) { throw "the child pwsh failed ($($childProcess.ExitCode)): $($childErr.Result)" }
        $script:Run = Get-Content -Raw "$Work/summary.json" | ConvertFrom-Json -AsHashtable
        $script:Sampled = (Get-Content "$Work/ps-hits.count") -split ' '

        $findings = [Collections.Generic.List[object]]::new()
        $script:Searched = @{}
        foreach ($place in 'Verbose', 'Debug', 'Progress', 'Warning', 'Information', 'Error', 'Terminating', 'Output', 'ErrorVariable') {
            $Searched[$place] = "$([int]$Run.Counts[$place]) records"
            foreach ($f in (Find-Marker (Get-Content -Raw "$Work/out/$place.txt") $place "$place records")) { $findings.Add($f) }
        }
        $transcript = Get-Content -Raw "$Work/transcript.txt"
        $Searched.Transcript = "$($transcript.Length) chars"
        foreach ($f in (Find-Marker $transcript 'Transcript' 'the transcript')) { $findings.Add($f) }
        # The child's console too (what a user sees): it belongs with the transcript.
        foreach ($f in (Find-Marker $ChildConsole 'Transcript' 'the console')) { $findings.Add($f) }

        $Searched.ProcessList = "$($Sampled[0]) samples"
        foreach ($line in (Get-Content "$Work/ps-hits")) { foreach ($f in (Find-Marker $line 'ProcessList' 'process list')) { $findings.Add($f) } }

        $hostHits = @(Search-LabHostFile $h.name)
        $Searched.HostFiles = "$($hostHits[0]) files"
        foreach ($line in ($hostHits | Select-Object -Skip 1)) { foreach ($f in (Find-Marker $line 'HostFiles' 'host file')) { $findings.Add($f) } }

        # Files here: the child's HOME and temp directory, and whatever appeared in /tmp and /var/tmp
        # while it ran (the work directory holds the markers on purpose and is left out).
        $local = @(Get-ChildItem -Recurse -File -Force "$Work/home", "$Work/tmp" -ErrorAction SilentlyContinue | ForEach-Object FullName) +
            @(& find /tmp /var/tmp -xdev -newer $stamp -type f -size -20M -not -path "$Work/*" 2>$null)
        $Searched.LocalFiles = "$($local.Count) files"
        foreach ($file in $local) {
            try { $bytes = [IO.File]::ReadAllBytes($file) } catch { continue }
            foreach ($f in (Find-Marker ([Text.Encoding]::Latin1.GetString($bytes)) 'LocalFiles' $file -Bytes)) { $findings.Add($f) }
        }
        $script:Findings = $findings

        # The table of the issue's closing note: secret x place -> hits.
        $rows = foreach ($place in $Searched.Keys | Sort-Object) {
            $row = [ordered]@{ Place = $place; Searched = $Searched[$place] }
            foreach ($name in $Secrets.Keys) { $row[$name] = @($findings | Where-Object { $_.Place -eq $place -and $_.Secret -eq $name }).Count }
            [pscustomobject]$row
        }
        $dir = Join-Path $PSScriptRoot '../output/test-results'
        $null = New-Item -ItemType Directory -Force $dir
        $rows | Export-Csv -NoTypeInformation (Join-Path $dir 'Hardening.Secrets.csv')
        Write-Host "Secrets: work directory $Work"
        Write-Host ("Secrets: child ran {0} s; {1} process-list samples ({2} with a sudo -S session); {3} findings" -f $ChildSeconds, $Sampled[0], $Sampled[1], $findings.Count)
        foreach ($name in $Run.Summary.Keys) { Write-Host ("  {0}: {1} s, errors: {2}" -f $name, $Run.Summary[$name].Seconds, ($Run.Summary[$name].ErrorIds -join ', ')) }
        $rows | Format-Table -AutoSize | Out-String -Width 300 | Write-Host
    }

    AfterAll {
        Clear-LabGuests kvm1 $P
        $pw = ($Lab.users | Where-Object name -eq 'kvmuser').password
        Set-LabPassword kvm1 "kvmlimited:$pw", "kvmuser:$pw"
        Invoke-KvmLabCommand kvm1 'sh', '-c', "sed -i '/kvmps-secrets-test/d' /root/.ssh/authorized_keys; umount /usr/bin/genisoimage /usr/bin/xorriso 2>/dev/null; true" | Out-Null
        # KVMPS_SECRETS_KEEP=1 keeps the records, transcript and samples to read after a failure.
        if ($Work -and -not $env:KVMPS_SECRETS_KEEP) { Remove-Item -Recurse -Force $Work -ErrorAction SilentlyContinue }
    }

    It 'used every secret: connected with the password and the encrypted key, elevated with the sudo password' {
        $Run.Summary['ssh password'].Elevated | Should -Be @('kvmlimited:False:None')
        $Run.Summary['sudo password'].Elevated | Should -BeLike 'kvmuser:True:*'
        $Run.Summary['key passphrase'].Elevated | Should -BeLike 'root:True:*'
        foreach ($name in 'ssh password', 'sudo password', 'key passphrase') { $Run.Summary[$name].ErrorIds | Should -BeNullOrEmpty -Because $name }
        $Run.Summary['guest password'].Output | Should -Contain 'KvmPS.KvmGuest'
        $Run.Summary['spec password'].Output | Should -Contain 'KvmPS.KvmGuest'
        [int]$Sampled[1] | Should -BeGreaterThan 0 -Because 'the process list must have been sampled while sudo ran'
    }

    It 'refused every wrong secret with an error (the error paths were searched)' {
        $Run.Summary['wrong ssh password'].ErrorIds | Should -BeLike 'AuthenticationFailed,*'
        $Run.Summary['wrong ssh password, Stop'].Thrown | Should -BeLike '*refused authentication*'
        # A user sudo refuses is told so (SudoFailed: check sudo -l), not that its shell failed to start.
        $Run.Summary['wrong sudo password'].ErrorIds | Should -Be @('SudoFailed,KvmPS.Commands.ConnectKvmHostCommand', 'SudoFailed,KvmPS.Commands.ConnectKvmHostCommand')
        $Run.Summary['wrong sudo password'].Messages[1] | Should -BeLike '*not in the sudoers file*'
        $Run.Summary['wrong key passphrase'].ErrorIds | Should -BeLike 'AuthenticationFailed,*'
        $Run.Summary['wrong key passphrase'].Messages | Should -BeLike '*-KeyPassphrase does not decrypt it*'
        @($Run.Summary['spec password'].ErrorIds | Where-Object { $_ -like 'GuestSpecInvalid,*' }).Count | Should -Be 6
        $Run.Summary['guest password'].ErrorIds | Should -Contain 'ConflictingCloudInit,KvmPS.Commands.NewKvmGuestCommand'
    }

    It 'left the guests a seed with the password hash (the ISOs were searched)' {
        foreach ($name in "${P}pw", "${P}pwhere", "${P}spec") {
            (Invoke-KvmLabCommand kvm1 isoinfo, -i, "/var/lib/libvirt/images/$name-seed.iso", -J, -x, /user-data) -join "`n" | Should -Match '\$6\$' -Because $name
        }
    }

    It 'finds no secret in <Place>' -ForEach $Places {
        $here = @($Findings | Where-Object Place -eq $Place)
        $here | ForEach-Object { "$($_.Secret) in $($_.Where)" } | Should -BeNullOrEmpty
    }
}
