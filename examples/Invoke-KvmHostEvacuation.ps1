#Requires -Modules KvmPS
<#
.SYNOPSIS
    Drains a KVM host for maintenance: pre-flight every running guest, move them live, report each one.

.DESCRIPTION
    1. Reads the guests of the host (-ComputerName or -Session), all of them or those matching -Name.
       Guests that run (Running, Blocked or Paused) are to move; the others stay where they are and are
       reported as Skipped.
    2. Reads the free memory (MemAvailable) of each -Destination with Get-KvmHost. A destination that
       cannot be read is left out, with a warning.
    3. Chooses a destination per guest and runs Test-KvmMigration to it. The policy: the largest guests
       first, each to the destination with the most free memory left after the guests already placed
       there (ties go to the destination named first). A guest whose pre-flight fails is tried on the
       next destination by the same policy; a guest that passes on none is Skipped, with every
       failed check as the reason.
    4. Moves the guests that passed with Move-KvmGuest -PassThru, up to -ThrottleLimit at once per
       destination (Move-KvmGuest moves one source's guests in parallel); the destinations are worked
       one after the other. -IncludeStorage copies the disks that are not on shared storage.

    The output is one report per guest (PSTypeName KvmPS.Runbook.GuestEvacuation): Name, ComputerName
    (the host drained), State, Destination, Status, Mode, Duration, Downtime and Reason. Status is:

    - Moved: Move-KvmGuest returned the guest's result, so it runs on Destination now.
    - Failed: the move was tried and failed; Reason has Move-KvmGuest's error, which says where the
      guest is now. The error is also written to the error stream.
    - Skipped: not tried: the guest does not run, no destination passed its pre-flight, or the move
      was not confirmed.
    - WhatIf: with -WhatIf, the guest passed its pre-flight and would move to Destination.

    A guest is never reported Moved without Move-KvmGuest's result for it.

    -WhatIf and -Confirm pass through to Move-KvmGuest, which shows the exact virsh commands.

.PARAMETER ComputerName
    The host to drain, by name (host, user@host or host:port).

.PARAMETER Session
    The host to drain, by KvmPS session.

.PARAMETER Destination
    The hosts to move the guests to: names or KvmPS sessions, one or several.

.PARAMETER Name
    Only the guests with these names (wildcards allowed). Default: every guest.

.PARAMETER IncludeStorage
    Copies the disks that the destination does not share, while the guests run (Move-KvmGuest
    -IncludeStorage).

.PARAMETER TrustMode
    How the source's libvirt reaches the destination: Existing (root's own SSH keys, the default) or
    Ephemeral (a one-time key). See Move-KvmGuest.

.PARAMETER ThrottleLimit
    How many guests move at once to one destination. Default 4.

.EXAMPLE
    ./Invoke-KvmHostEvacuation.ps1 -ComputerName kvm1 -Destination kvm2, kvm3 -WhatIf

    Pre-flights every running guest of kvm1 and shows where each would go and the virsh commands.

.EXAMPLE
    $report = ./Invoke-KvmHostEvacuation.ps1 -ComputerName kvm1 -Destination kvm2, kvm3 -IncludeStorage
    $report | Format-Table Name, Status, Destination, Mode, Duration, Reason -Wrap
    if ($report | Where-Object { $_.State -ne 'ShutOff' -and $_.Status -ne 'Moved' }) { throw 'kvm1 still runs guests' }

    Drains kvm1, copying local disks, and refuses to go on with the maintenance while a guest still runs there.

.EXAMPLE
    ./Invoke-KvmHostEvacuation.ps1 -ComputerName kvm1 -Name 'web*' -Destination kvm2 -ThrottleLimit 2 |
        Export-Csv evacuation-kvm1.csv -NoTypeInformation

    Moves the web guests, two at a time, and keeps the report.

.OUTPUTS
    KvmPS.Runbook.GuestEvacuation
#>
[CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'ComputerName')]
[OutputType('KvmPS.Runbook.GuestEvacuation')]
param(
    [Parameter(Mandatory, Position = 0, ParameterSetName = 'ComputerName')]
    [string]$ComputerName,

    [Parameter(Mandatory, ParameterSetName = 'Session')]
    [KvmPS.KvmSession]$Session,

    [Parameter(Mandatory)]
    [object[]]$Destination,

    [string[]]$Name = '*',

    [switch]$IncludeStorage,

    [ValidateSet('Existing', 'Ephemeral')]
    [string]$TrustMode,

    [ValidateRange(1, 64)]
    [int]$ThrottleLimit = 4
)

$activity = 'Evacuating ' + $(if ($Session) { $Session.ComputerName } else { $ComputerName })
$source = if ($Session) { @{ Session = $Session } } else { @{ ComputerName = $ComputerName } }
# Options that decide what the pre-flight checks, so they must reach both cmdlets alike.
$moveOptions = @{ IncludeStorage = $IncludeStorage }
if ($TrustMode) { $moveOptions.TrustMode = $TrustMode }

# The guest an error of Test-/Move-KvmGuest is about: they target the KvmGuest, or its name.
function Get-ErrorGuest([System.Management.Automation.ErrorRecord]$Record) {
    $target = $Record.TargetObject
    if ($target -is [KvmPS.KvmGuest]) { $target.Name } elseif ($target -is [string]) { $target }
}

function Get-DestinationName($Target) { if ($Target -is [KvmPS.KvmSession]) { $Target.ComputerName } else { "$Target" } }

Write-Progress -Activity $activity -Status 'Reading the guests' -PercentComplete 0
$reports = [ordered]@{}
$pending = New-Object System.Collections.Generic.List[object]
foreach ($guest in Get-KvmGuest @source -Name $Name -ErrorAction Stop) {
    $reports[$guest.Name] = [pscustomobject]@{
        PSTypeName   = 'KvmPS.Runbook.GuestEvacuation'
        Name         = $guest.Name
        ComputerName = $guest.ComputerName
        State        = $guest.State
        Destination  = ''
        Status       = 'Skipped'
        Mode         = ''
        Duration     = $null
        Downtime     = $null
        Reason       = ''
    }
    if ($guest.State -in 'Running', 'Blocked', 'Paused') { $pending.Add($guest) }
    else { $reports[$guest.Name].Reason = "Not running ($($guest.State)): it stays on $($guest.ComputerName)." }
}

Write-Progress -Activity $activity -Status 'Reading the destinations' -PercentComplete 10
$destinations = for ($i = 0; $i -lt $Destination.Count; $i++) {
    $target = $Destination[$i]
    $read = if ($target -is [KvmPS.KvmSession]) { @{ Session = $target } } else { @{ ComputerName = "$target" } }
    try {
        $info = Get-KvmHost @read -ErrorAction Stop
        [pscustomobject]@{ Index = $i; Target = $target; Name = Get-DestinationName $target; Free = [long]$info.MemoryAvailableBytes; Reserved = [long]0; Guests = New-Object System.Collections.Generic.List[object] }
    }
    catch { Write-Warning "Destination $(Get-DestinationName $target) is left out: $($_.Exception.Message)" }
}

# Pre-flight rounds: each pending guest is tried on its best destination not tried yet.
$tried = @{}
$reasons = @{}
$pending = @($pending | Sort-Object MemoryBytes -Descending)
while ($pending.Count) {
    $round = @{}
    foreach ($guest in $pending) {
        $best = $destinations | Where-Object { $_.Name -notin @($tried[$guest.Name]) } |
            Sort-Object @{ Expression = { $_.Free - $_.Reserved }; Descending = $true }, Index |
            Select-Object -First 1
        if (-not $best) {
            $reports[$guest.Name].Reason = if ($reasons[$guest.Name]) { 'Pre-flight failed: ' + ($reasons[$guest.Name] -join ' ') } else { 'No destination could be read.' }
            continue
        }
        $tried[$guest.Name] = @($tried[$guest.Name]) + $best.Name
        $best.Reserved += $guest.MemoryBytes
        if (-not $round[$best.Name]) { $round[$best.Name] = [pscustomobject]@{ Destination = $best; Guests = @() } }
        $round[$best.Name].Guests += $guest
    }

    $next = @()
    foreach ($batch in $round.Values) {
        $to = $batch.Destination
        Write-Progress -Activity $activity -Status "Pre-flight of $($batch.Guests.Count) guest(s) to $($to.Name)" -PercentComplete 30
        $checks = @(Test-KvmMigration -Guest $batch.Guests -Destination $to.Target @moveOptions -ErrorAction SilentlyContinue -ErrorVariable failures)
        foreach ($guest in $batch.Guests) {
            $mine = @($checks | Where-Object Guest -eq $guest.Name)
            $failed = @($mine | Where-Object Status -eq 'Fail' | ForEach-Object { "[$($_.Check)] $($_.Detail)" })
            $failed += @($failures | Where-Object { (Get-ErrorGuest $_) -eq $guest.Name } | ForEach-Object { $_.Exception.Message })
            if ($mine.Count -and -not $failed.Count) { $to.Guests.Add($guest); continue }
            if (-not $failed.Count) { $failed = @('the pre-flight returned no result.') }
            $to.Reserved -= $guest.MemoryBytes
            $reasons[$guest.Name] = @($reasons[$guest.Name]) + "$($to.Name): $($failed -join ' ')" | Where-Object { $_ }
            $next += $guest
        }
    }
    $pending = $next
}

$done = 0
foreach ($to in $destinations | Where-Object { $_.Guests.Count }) {
    Write-Progress -Activity $activity -Status "Moving $($to.Guests.Count) guest(s) to $($to.Name)" -PercentComplete (50 + 50 * $done++ / @($destinations).Count)
    $results = @(Move-KvmGuest -Guest $to.Guests -Destination $to.Target @moveOptions -ThrottleLimit $ThrottleLimit -PassThru `
        -WhatIf:$WhatIfPreference -ErrorAction SilentlyContinue -ErrorVariable failures)
    foreach ($guest in $to.Guests) {
        $report = $reports[$guest.Name]
        $report.Destination = $to.Name
        $result = $results | Where-Object Name -eq $guest.Name | Select-Object -First 1
        $errors = @($failures | Where-Object { (Get-ErrorGuest $_) -eq $guest.Name })
        # Errors about no guest in particular (the destination, the session) concern every guest not moved.
        if (-not $result -and -not $errors) { $errors = @($failures | Where-Object { -not (Get-ErrorGuest $_) }) }
        if ($result) {
            $report.Status = 'Moved'
            $report.Mode = $result.Mode
            $report.Duration = $result.Duration
            $report.Downtime = $result.Downtime
        }
        elseif ($errors) {
            $report.Status = 'Failed'
            $report.Reason = ($errors | ForEach-Object { $_.Exception.Message }) -join ' '
            $errors | Where-Object { (Get-ErrorGuest $_) -eq $guest.Name } | ForEach-Object { $PSCmdlet.WriteError($_) }
        }
        elseif ($WhatIfPreference) { $report.Status = 'WhatIf'; $report.Reason = "Pre-flight passed: would move to $($to.Name)." }
        else { $report.Reason = "The move to $($to.Name) was not confirmed." }
    }
}
Write-Progress -Activity $activity -Completed
$reports.Values
