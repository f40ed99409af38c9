# The child half of Hardening.Secrets.Tests.ps1: runs every cmdlet that takes a secret, in a
# runspace bound to this process's console host, so that each record lands both in the
# PowerShell instance's streams (collected here) and on the host (recorded by Start-Transcript).
# Secrets arrive in a file, never on a command line, and reach the runspace as SecureStrings, so
# any marker found later was put there by KvmPS, not by this script.
param([Parameter(Mandatory)][string]$Work)

$ErrorActionPreference = 'Stop'
$in = Get-Content -Raw (Join-Path $Work 'input.json') | ConvertFrom-Json
$sec = @{}
foreach ($p in $in.Secrets.PSObject.Properties) { $sec[$p.Name] = ConvertTo-SecureString $p.Value -AsPlainText -Force }
$in.Secrets = $null

# Everything a record carries that a user could see or log: its text, every property, the
# exception chain with inner exceptions and data, the target object, details and invocation.
function Expand-Record($Record) {
    $text = [Collections.Generic.List[string]]::new()
    $text.Add("$Record")
    $text.Add(($Record | Format-List * -Force | Out-String -Width 4096))
    if ($Record -is [Management.Automation.ErrorRecord]) {
        if ($Record.Exception) {
            $text.Add($Record.Exception.ToString())
            for ($e = $Record.Exception; $e; $e = $e.InnerException) { $text.Add(($e | Format-List * -Force | Out-String -Width 4096)) }
        }
        if ($null -ne $Record.TargetObject) {
            $text.Add(($Record.TargetObject | Format-List * -Force | Out-String -Width 4096))
            $text.Add((ConvertTo-Json -InputObject $Record.TargetObject -Depth 3 -WarningAction SilentlyContinue))
        }
        $text.Add(($Record.ErrorDetails | Format-List * -Force | Out-String -Width 4096))
        $text.Add($Record.CategoryInfo.GetMessage())
        $text.Add(($Record.InvocationInfo | Format-List * -Force | Out-String -Width 4096))
        $text.Add(($Record.InvocationInfo.BoundParameters | Out-String -Width 4096))
        $text.Add($Record.ScriptStackTrace)
    }
    elseif ($Record -is [Management.Automation.InformationRecord]) {
        $text.Add(($Record.MessageData | Format-List * -Force | Out-String -Width 4096))
    }
    elseif ($Record -isnot [Management.Automation.InformationalRecord] -and $Record -isnot [Management.Automation.ProgressRecord]) {
        $text.Add((ConvertTo-Json -InputObject $Record -Depth 3 -WarningAction SilentlyContinue))
    }
    $text -join "`n"
}

$rs = [runspacefactory]::CreateRunspace($Host)
$rs.Open()
foreach ($name in 'A', 'KH', 'LabKey', 'EncKey', 'P', 'SpecFile', 'BadSpecFiles', 'UserDataFile', 'LabModule') {
    $rs.SessionStateProxy.SetVariable($name, $in.$name)
}
$rs.SessionStateProxy.SetVariable('Sec', $sec)

$prologue = @'
Import-Module $env:KVMPS_MODULE_PATH
Import-Module $LabModule
# -Debug alone turns warnings into prompts, which a non-interactive host refuses.
$PSDefaultParameterValues = @{ '*-Kvm*:Verbose' = $true; '*-Kvm*:Debug' = $true; '*-Kvm*:WarningAction' = 'Continue' }
$VerbosePreference = $DebugPreference = $InformationPreference = $ProgressPreference = 'Continue'
$null = Start-Transcript -Path (Join-Path $env:KVMPS_SECRETS_WORK 'transcript.txt')
'@

# name -> script. Statement-terminating errors end the statement only (ErrorActionPreference
# stays Continue), so a scenario goes on after an error path.
$scenarios = [ordered]@{
    'ssh password' = @'
$s = Connect-KvmHost -ComputerName $A -Credential ([pscredential]::new('kvmlimited', $Sec.SshPassword)) -KnownHostsPath $KH
$s
Get-KvmGuest -Session $s | Out-Null
Get-KvmHost -Session $s
Disconnect-KvmHost -Session $s
'@
    'sudo password' = @'
$s = Connect-KvmHost -ComputerName $A -UserName kvmuser -KeyFilePath $LabKey -KnownHostsPath $KH -SudoCredential ([pscredential]::new('kvmuser', $Sec.SudoPassword))
$s
Get-KvmGuest -Session $s | Out-Null
Test-KvmCapability -Session $s | Out-Null
Install-KvmHost -Session $s -WhatIf
New-KvmGuest -Session $s -Name "${P}sudo" -MemoryBytes 64MB -DiskSizeBytes 8MB -PassThru
Remove-KvmGuest -Session $s -Name "${P}sudo" -DeleteStorage -Confirm:$false
Disconnect-KvmHost -Session $s
'@
    'key passphrase' = @'
$global:RootSession = Connect-KvmHost -ComputerName $A -UserName root -KeyFilePath $EncKey -KeyPassphrase $Sec.KeyPassphrase -KnownHostsPath $KH
$RootSession
Get-KvmGuest -Session $RootSession | Out-Null
'@
    'guest password' = @'
New-KvmGuest -Session $RootSession -Name "${P}pw" -MemoryBytes 64MB -DiskSizeBytes 8MB -CloudInitUser admin -Password $Sec.GuestPassword -PassThru
New-KvmGuest -Session $RootSession -Name "${P}pwwhatif" -MemoryBytes 64MB -DiskSizeBytes 8MB -CloudInitUser admin -Password $Sec.GuestPassword -WhatIf
New-KvmGuest -Session $RootSession -Name "${P}pwconflict" -MemoryBytes 64MB -DiskSizeBytes 8MB -UserData $UserDataFile -Password $Sec.GuestPassword
# A name that exists: an error path with a password in hand.
New-KvmGuest -Session $RootSession -Name "${P}pw" -MemoryBytes 64MB -DiskSizeBytes 8MB -CloudInitUser admin -Password $Sec.GuestPassword
# The seed built here and uploaded: hide the host's ISO tools (its own mount namespace).
Invoke-KvmLabCommand kvm1 'sh', '-c', 'for t in genisoimage xorriso; do p=$(command -v $t) && mount --bind /dev/null "$p"; done; true' | Out-Null
try { New-KvmGuest -Session $RootSession -Name "${P}pwhere" -MemoryBytes 64MB -DiskSizeBytes 8MB -CloudInitUser admin -Password $Sec.GuestPassword -PassThru }
finally { Invoke-KvmLabCommand kvm1 'sh', '-c', 'umount /usr/bin/genisoimage /usr/bin/xorriso; true' | Out-Null }
'@
    'spec password' = @'
New-KvmGuest -Session $RootSession -Spec $SpecFile -PassThru
foreach ($bad in $BadSpecFiles) { New-KvmGuest -Session $RootSession -Spec $bad }
'@
    'wrong ssh password' = @'
Connect-KvmHost -ComputerName $A -Credential ([pscredential]::new('kvmlimited', $Sec.WrongSshPassword)) -KnownHostsPath $KH
'@
    # -ErrorAction Stop: the error ends the script, so Invoke() throws it (the Terminating place).
    'wrong ssh password, Stop' = @'
Connect-KvmHost -ComputerName $A -Credential ([pscredential]::new('kvmlimited', $Sec.WrongSshPassword)) -KnownHostsPath $KH -ErrorAction Stop
'@
    'wrong sudo password' = @'
Connect-KvmHost -ComputerName $A -UserName kvmuser -KeyFilePath $LabKey -KnownHostsPath $KH -SudoCredential ([pscredential]::new('kvmuser', $Sec.WrongSudoPassword))
# A user sudo refuses whatever the password: the right one is typed into the wrong place.
Connect-KvmHost -ComputerName $A -UserName kvmlimited -KeyFilePath $LabKey -KnownHostsPath $KH -SudoCredential ([pscredential]::new('kvmlimited', $Sec.SshPassword))
'@
    'wrong key passphrase' = @'
Connect-KvmHost -ComputerName $A -UserName root -KeyFilePath $EncKey -KeyPassphrase $Sec.WrongKeyPassphrase -KnownHostsPath $KH
'@
    'epilogue' = @'
Get-KvmSession | Format-List * -Force | Out-Host
Disconnect-KvmHost -All
# What a user pastes into a bug report; written to the host, so the transcript has it too.
$global:ErrorDump = $Error | ForEach-Object {
    $_ | Format-List * -Force | Out-String -Width 4096
    $_.Exception | Format-List * -Force | Out-String -Width 4096
    $_.InvocationInfo | Format-List * -Force | Out-String -Width 4096
}
$ErrorDump += Get-Error -Newest $Error.Count | Out-String -Width 4096
$ErrorDump | Out-Host
$null = Stop-Transcript
$ErrorDump
'@
}

$places = [ordered]@{}
foreach ($p in 'Verbose', 'Debug', 'Progress', 'Warning', 'Information', 'Error', 'Terminating', 'Output', 'ErrorVariable') {
    $places[$p] = [Collections.Generic.List[string]]::new()
}
$counts = @{}
$summary = [ordered]@{}
$first = $true
foreach ($name in $scenarios.Keys) {
    $ps = [powershell]::Create()
    $ps.Runspace = $rs
    $null = $ps.AddScript($(if ($first) { $prologue + "`n" } else { '' }) + $scenarios[$name])
    $first = $false
    $out = @()
    $thrown = $null
    $clock = [Diagnostics.Stopwatch]::StartNew()
    try { $out = @($ps.Invoke()) } catch { $thrown = $_ }
    $streams = [ordered]@{
        Verbose = $ps.Streams.Verbose; Debug = $ps.Streams.Debug; Progress = $ps.Streams.Progress
        Warning = $ps.Streams.Warning; Information = $ps.Streams.Information; Error = $ps.Streams.Error
        Terminating = @($thrown | Where-Object { $_ })
    }
    if ($name -eq 'epilogue') { $streams.ErrorVariable = $out } else { $streams.Output = $out }
    foreach ($place in $streams.Keys) {
        foreach ($r in $streams[$place]) {
            $places[$place].Add("### $name`n" + (Expand-Record $r))
            $counts[$place] = 1 + [int]$counts[$place]
        }
    }
    $summary[$name] = [ordered]@{
        ErrorIds = @($ps.Streams.Error | ForEach-Object FullyQualifiedErrorId)
        Messages = @($ps.Streams.Error | ForEach-Object { $_.Exception.Message })
        Thrown   = "$thrown"
        Output   = @($out | ForEach-Object { $_.PSObject.TypeNames[0] })
        Elevated = @($out | Where-Object { $_ -is [KvmPS.KvmSession] } | ForEach-Object { "$($_.UserName):$($_.IsElevated):$($_.Elevation)" })
        Seconds  = [math]::Round($clock.Elapsed.TotalSeconds, 1)
    }
    $ps.Dispose()
}
$rs.Dispose()

$outDir = Join-Path $Work 'out'
$null = New-Item -ItemType Directory -Force $outDir
foreach ($place in $places.Keys) { Set-Content -Path (Join-Path $outDir "$place.txt") -Value ($places[$place] -join "`n") }
[ordered]@{ Summary = $summary; Counts = $counts } | ConvertTo-Json -Depth 5 | Set-Content (Join-Path $Work 'summary.json')
