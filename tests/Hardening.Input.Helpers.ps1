# Helpers of Hardening.Input.Tests.ps1, dot-sourced in its lab BeforeAll (they use $Ctx, $Canary, $Lab).

# What the lab hosts hold, by name: guests, networks, links, pools, volumes. Refused values must leave
# it as it was; literal values that made something are removed right after they are checked.
function script:Get-HostSnapshot {
    $script = 'virsh list --all --name | sort; echo --; virsh net-list --all --name | sort; echo --; ip -o link | cut -d: -f2 | cut -d@ -f1 | sort; echo --; virsh pool-list --all --name | sort; echo --; ls /var/lib/libvirt/images 2>/dev/null | sort; true'
    foreach ($h in $Lab.hosts) { "[$($h.name)]"; Invoke-KvmLabCommand $h.name 'sh', '-c', $script }
}

# Any canary file: on both lab hosts (their private /tmp and root's home) and on this machine (only this
# run's: other test runs may share this machine's /tmp).
function script:Get-Canary {
    foreach ($h in $Lab.hosts) {
        Invoke-KvmLabCommand $h.name 'sh', '-c', 'ls -d /tmp/kvmps-canary-* /root/kvmps-canary-* / 2>/dev/null | grep canary; true' | ForEach-Object { "$($h.name):$_" }
    }
    Get-ChildItem -Path ([IO.Path]::GetTempPath()), '/tmp', $env:HOME, $PWD -Filter "$(Split-Path $Canary -Leaf)*" -ErrorAction SilentlyContinue | ForEach-Object { "local:$($_.FullName)" } | Sort-Object -Unique
}

# Every domain and network XML of kvm1 that does not parse (none, after any hostile value).
function script:Test-HostXml {
    $script = 'virsh list --all --name | while IFS= read -r d; do [ -n "$d" ] && { virsh dumpxml -- "$d"; echo @@END@@; }; done; virsh net-list --all --name | while IFS= read -r n; do [ -n "$n" ] && { virsh net-dumpxml -- "$n"; echo @@END@@; }; done; true'
    $text = (Invoke-KvmLabCommand kvm1 'sh', '-c', $script) -join "`n"
    foreach ($doc in $text -split '@@END@@' | Where-Object { $_.Trim() }) {
        try { $null = [xml]$doc } catch { "does not parse: $($_.Exception.Message): $doc" }
    }
}

# The libvirt XML of a domain or network on kvm1, parsed; $null when there is none of that name.
function script:Get-LabXml([string]$Kind, [string]$Name) {
    $verb = if ($Kind -eq 'network') { 'net-dumpxml' } else { 'dumpxml' }
    $r = Invoke-KvmLabCommand kvm1 virsh, $verb, '--', $Name -IgnoreExitCode -PassThru
    if ($r.ExitCode -ne 0) { return $null }
    [xml]($r.StdOut -join "`n")
}

# A domain or network a literal value made: its XML parses and carries the exact name; says whether the
# value itself appears in it as a whole text or attribute value.
function script:Test-MadeObject([string]$Kind, [string]$Name, [string]$Value) {
    $xml = Get-LabXml $Kind $Name
    if (-not $xml) { return 'accepted silently', "no error, but no $Kind named '$(Format-Shown $Name)'" }
    $root = if ($Kind -eq 'network') { $xml.network } else { $xml.domain }
    if ($root.name -cne $Name) { return 'name changed', "the $Kind is named '$($root.name)'" }
    $found = @($xml.SelectNodes('//text()|//@*') | Where-Object { $_.Value -ceq $Value }).Count
    'literal', "made $Kind '$(Format-Shown $Name)'; its XML parses; the value is in it $found times"
}

# A value as error messages may show it (control characters escaped).
function script:Format-Shown([string]$Value) { $Value.Replace("`n", '\n').Replace("`r", '\r').Replace("`0", '\0') }

# The arguments of one case: the cmdlet's baseline, the parameter's extra needs, and the hostile value
# (baseline arguments of other parameter sets than the hostile parameter's are dropped).
function script:Get-CaseArguments($Cmdlet, $Parameter, $Value, $Baseline) {
    $arguments = & $Baseline.Args $Ctx
    if ($Baseline.With -and $Baseline.With[$Parameter.Name]) {
        $extra = & $Baseline.With[$Parameter.Name] $Ctx
        foreach ($k in $extra.Keys) { $arguments[$k] = $extra[$k] }
    }
    $sets = @($Parameter.ParameterSets.Keys)
    if ($sets -notcontains '__AllParameterSets') {
        $all = (Get-Command $Cmdlet).Parameters
        foreach ($k in @($arguments.Keys)) {
            $own = @($all[$k].ParameterSets.Keys)
            if ($own -notcontains '__AllParameterSets' -and -not ($own | Where-Object { $sets -contains $_ })) { $arguments.Remove($k) }
        }
    }
    $arguments[$Parameter.Name] = if ($Parameter.ParameterType.IsArray) { , @($Value) } else { $Value }
    $arguments
}

# Runs the cmdlet once with these arguments: what it wrote, its errors (binding errors included), and
# with -WhatIf what it showed.
function script:Invoke-Once($Cmdlet, [hashtable]$Arguments, $Baseline) {
    $script:HostileOut = @(); $script:HostileErrors = @(); $thrown = $null; $whatIf = ''
    try {
        if ($Baseline.Mode -eq 'WhatIf') {
            $Arguments.WhatIf = $true
            $whatIf = Get-WhatIfText { $script:HostileOut = @(& $Cmdlet @Arguments -ErrorAction SilentlyContinue -ErrorVariable script:HostileErrors -WarningAction SilentlyContinue) }
        }
        else {
            if ((Get-Command $Cmdlet).Parameters.ContainsKey('Confirm')) { $Arguments.Confirm = $false }
            $script:HostileOut = @(& $Cmdlet @Arguments -ErrorAction SilentlyContinue -ErrorVariable script:HostileErrors -WarningAction SilentlyContinue)
        }
    }
    catch { $thrown = $_ }
    [pscustomobject]@{ Records = @(@($thrown) + @($script:HostileErrors) | Where-Object { $_ }); Out = $script:HostileOut; WhatIf = $whatIf }
}

# Every corpus value for one parameter: one row per value. A string[] parameter of a cmdlet that
# only looks things up first gets all plain values in one call (one host round trip instead of one per
# value); a value is classified from that call only by an error whose target is exactly it, the
# others run alone.
function script:Invoke-HostileParameter($Cmdlet, $Parameter, $Corpus, $Baseline) {
    $rows = [ordered]@{}
    $plain = @($Corpus.Keys | Where-Object { $Corpus[$_].Length -gt 0 -and -not [System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($Corpus[$_]) })
    if ($Parameter.ParameterType.IsArray -and $Baseline.Mode -eq 'Run' -and -not $Baseline.Made -and $plain.Count -gt 1) {
        $arguments = Get-CaseArguments $Cmdlet $Parameter '' $Baseline
        $arguments[$Parameter.Name] = [string[]]@($plain | ForEach-Object { $Corpus[$_] })
        $run = Invoke-Once $Cmdlet $arguments $Baseline
        if (-not ($run.Records | Where-Object { $_.Exception -is [System.Management.Automation.ParameterBindingException] })) {
            foreach ($class in $plain) {
                $own = @($run.Records | Where-Object { $_.TargetObject -is [string] -and $_.TargetObject -ceq $Corpus[$class] })
                if ($own.Count) {
                    $outcome, $detail = Get-HostileOutcome $Cmdlet $Parameter $Corpus[$class] $own @() '' $Baseline
                    $rows[$class] = New-HostileRow $Cmdlet $Parameter $class $Baseline $outcome "batch: $detail"
                }
            }
        }
    }
    foreach ($class in $Corpus.Keys) {
        if (-not $rows.Contains($class)) { $rows[$class] = Invoke-HostileCase $Cmdlet $Parameter $class $Corpus[$class] $Baseline }
    }
    $rows.Values
}

function script:New-HostileRow($Cmdlet, $Parameter, $Class, $Baseline, $Outcome, $Detail) {
    [pscustomobject][ordered]@{ Cmdlet = $Cmdlet; Parameter = $Parameter.Name; Class = $Class; Mode = $Baseline.Mode; Outcome = $Outcome; Detail = $Detail }
}

# Runs one cmdlet with one hostile value and classifies the outcome: refused, literal, pattern, or what else happened.
function script:Invoke-HostileCase {
    param($Cmdlet, $Parameter, [string]$Class, [AllowEmptyString()][string]$Value, $Baseline)
    $run = Invoke-Once $Cmdlet (Get-CaseArguments $Cmdlet $Parameter $Value $Baseline) $Baseline
    $outcome, $detail = Get-HostileOutcome $Cmdlet $Parameter $Value $run.Records $run.Out $run.WhatIf $Baseline
    if ($Baseline.Cleanup -and -not $run.Records.Count) { & $Baseline.Cleanup $Ctx $Parameter.Name $Value }
    New-HostileRow $Cmdlet $Parameter $Class $Baseline $outcome $detail
}

function script:Get-HostileOutcome($Cmdlet, $Parameter, [string]$Value, $Records, $Out, [string]$WhatIf, $Baseline) {
    $name = $Parameter.Name
    $shown = Format-Shown $Value
    # A wildcard value of a parameter that takes wildcards is a pattern, as documented: whatever it
    # matches (here only this test's guest) is acted on; nothing else may happen.
    $pattern = $Parameter.Attributes.Where({ $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }).Count -gt 0 -and
        [System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($Value)
    if ($Records.Count) {
        $first = $Records[0]
        $message = "$($first.Exception.Message) $($first.ErrorDetails.Message) $($first.ErrorDetails.RecommendedAction)"
        $category = $first.CategoryInfo.Category
        $short = "$($first.FullyQualifiedErrorId) [$category] $($first.Exception.Message)".Trim()
        if ($first.Exception -is [System.Management.Automation.ParameterBindingException]) { return 'refused', "binding: $short" }
        # A relative value used as a local path shows up resolved against the current directory, as PowerShell resolves it.
        $resolved = try { $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Value) } catch { $Value }
        $namesValue = $Value.Length -gt 0 -and ($message.Contains($Value) -or $message.Contains($shown) -or $message.Contains($resolved))
        $namesParameter = $message -match "-$name\b|\b$name\b"
        if ($pattern -and $category -in 'ObjectNotFound', 'InvalidOperation', 'OperationTimeout') { return 'pattern', $short }
        # The value was used as data: looked up (not found) or read as a local file (unreadable, not a key
        # or a spec, no host key in it).
        if ($category -in 'ObjectNotFound', 'ReadError', 'ParserError', 'AuthenticationError', 'SecurityError' -and $namesValue) { return 'literal', "as data: $short" }
        if ($category -in 'InvalidArgument', 'InvalidData', 'InvalidType' -and ($namesValue -or $namesParameter)) {
            if (-not $first.ErrorDetails.RecommendedAction) { return 'no recommended action', $short }
            return 'refused', $short
        }
        return 'unexpected error', $short
    }
    $named = @($Out | Where-Object { $_.PSObject.Properties['Name'] })
    if ($pattern -and @($named | Where-Object { $_.Name -notlike $Value }).Count -eq 0) { return 'pattern', "$($named.Count) matches" }
    if ($Baseline.Mode -eq 'WhatIf') {
        if ($Value.Length -and $WhatIf.Contains($Value)) { return 'literal', 'shown verbatim by -WhatIf' }
        return 'accepted, not shown by -WhatIf', ($WhatIf -split "`n" | Where-Object { $_ -like '*What if*' } | Select-Object -First 2) -join ' | '
    }
    if ($Baseline.Made) { return & $Baseline.Made $Ctx $name $Value }
    'accepted silently', "no error; output: $(@($Out).Count) objects"
}

# The table of the issue's closing note: parameter x corpus class -> outcome, with counts, saved as CSV.
function script:Write-HostileSummary($Rows) {
    if (-not $Rows.Count) { return }
    $dir = Join-Path $PSScriptRoot '../output/test-results'
    $null = New-Item -ItemType Directory -Force $dir
    $Rows | Export-Csv -NoTypeInformation (Join-Path $dir 'Hardening.Input.csv')
    $byOutcome = $Rows | Group-Object Outcome | ForEach-Object { "$($_.Name) $($_.Count)" }
    Write-Host ("Hostile input: {0} cmdlets, {1} parameters, {2} values, {3} combinations: {4}" -f
        @($Rows.Cmdlet | Sort-Object -Unique).Count, @($Rows | ForEach-Object { "$($_.Cmdlet) -$($_.Parameter)" } | Sort-Object -Unique).Count,
        @($Rows.Class | Sort-Object -Unique).Count, $Rows.Count, ($byOutcome -join ', '))
}
