#Requires -Modules KvmPS
<#
.SYNOPSIS
    Makes the guests of a YAML spec exist (and run): creates the missing ones, leaves existing ones alone.

.DESCRIPTION
    The spec is New-KvmGuest's own YAML format (Get-Help New-KvmGuest, example 7): a guests list with
    optional defaults, read and checked by New-KvmGuest -Spec before any host is contacted. A mistake
    in the file stops the runbook with New-KvmGuest's GuestSpecInvalid error (file:line:column).

    1. New-KvmGuest -Spec creates every guest of the spec on the hosts of -ComputerName or -Session
       (or on the host a guest names with computerName). A guest that already exists is refused by
       New-KvmGuest with GuestExists and nothing of it changes: the runbook reports it as Exists, so
       it can run again and again (idempotent). Existing guests are not compared with the spec.
    2. With -Start, the guests of the fleet that do not run are started (new and existing ones).
       With -WaitForIPAddress, it also waits up to -Timeout seconds until each has an IP address.

    The output is one report per guest (PSTypeName KvmPS.Runbook.FleetGuest): ComputerName, Name,
    Status (Created, Exists or Failed), State, IPAddresses and Error. A guest that could not be
    created, started or given an address in time is Failed, with the reason (a guest created but not
    started says so); its error is also written to the error stream. The others go on.

    -WhatIf and -Confirm pass through to New-KvmGuest and Start-KvmGuest. With -WhatIf, New-KvmGuest
    shows the plan of each guest it would create; the report then lists only the guests that exist
    already or are refused, since a spec's guests are known only to New-KvmGuest.

.PARAMETER Path
    The YAML spec file.

.PARAMETER ComputerName
    The hosts to create the guests on, by name. Every guest without its own computerName is created
    on each of them.

.PARAMETER Session
    The hosts, by KvmPS session.

.PARAMETER Start
    Starts the guests of the fleet that do not run.

.PARAMETER WaitForIPAddress
    Starts the guests and waits until each has an IP address (a DHCP lease or the ARP table).

.PARAMETER Timeout
    Seconds to wait for creation waits and -WaitForIPAddress. Default 300.

.PARAMETER ThrottleLimit
    How many guests are created at once. Default 8.

.EXAMPLE
    ./New-KvmGuestFleet.ps1 -Path ./web.yaml -ComputerName kvm1 -WhatIf

    Shows the plan and domain XML of each guest to create; lists the ones that exist already.

.EXAMPLE
    ./New-KvmGuestFleet.ps1 -Path ./web.yaml -ComputerName kvm1 -WaitForIPAddress -Confirm:$false |
        Format-Table Name, Status, State, IPAddresses, Error

    Creates what is missing, starts everything and shows the addresses.

.EXAMPLE
    $failed = ./New-KvmGuestFleet.ps1 -Path ./lab.yaml -ComputerName kvm1 -Start | Where-Object Status -eq Failed
    if ($failed) { $failed | Format-List Name, Error; exit 1 }

    A CI step that builds a lab from a spec and fails when a guest could not be made or started.

.OUTPUTS
    KvmPS.Runbook.FleetGuest
#>
[CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'ComputerName')]
[OutputType('KvmPS.Runbook.FleetGuest')]
param(
    [Parameter(Mandatory, Position = 0)]
    [string]$Path,

    [Parameter(ParameterSetName = 'ComputerName')]
    [string[]]$ComputerName,

    [Parameter(Mandatory, ParameterSetName = 'Session')]
    [KvmPS.KvmSession[]]$Session,

    [switch]$Start,

    [switch]$WaitForIPAddress,

    [ValidateRange(1, 86400)]
    [int]$Timeout = 300,

    [ValidateRange(1, 64)]
    [int]$ThrottleLimit = 8
)

$activity = "Guests of $(Split-Path $Path -Leaf)"
$targets = @{}
if ($Session) { $targets.Session = $Session } elseif ($ComputerName) { $targets.ComputerName = $ComputerName }
$reports = New-Object System.Collections.Generic.List[object]
# The guest of each report, by "host/name", for the start and the wait.
$guests = [ordered]@{}

function Add-Report($Guest, [string]$Status, [string]$Name = $Guest.Name, [string]$ErrorText = '') {
    $report = [pscustomobject]@{
        PSTypeName   = 'KvmPS.Runbook.FleetGuest'
        ComputerName = $Guest.ComputerName
        Name         = $Name
        Status       = $Status
        State        = $Guest.State
        IPAddresses  = @($Guest.IPAddresses | Where-Object { $_ })
        Error        = $ErrorText
    }
    $reports.Add($report)
    if ($Guest) { $guests["$($Guest.ComputerName)/$($Guest.Name)"] = [pscustomobject]@{ Guest = $Guest; Report = $report } }
}

# Start-/Wait-KvmGuest's errors target the KvmGuest: its report becomes Failed.
function Set-Failed([System.Management.Automation.ErrorRecord[]]$Errors, [string]$Prefix) {
    foreach ($e in $Errors) {
        $entry = $guests["$($e.TargetObject.ComputerName)/$($e.TargetObject.Name)"]
        if ($entry) {
            $entry.Report.Status = 'Failed'
            $entry.Report.Error = "$Prefix$($e.Exception.Message)"
        }
        $PSCmdlet.WriteError($e)
    }
}

Write-Progress -Activity $activity -Status 'Creating the missing guests' -PercentComplete 0
$created = @(New-KvmGuest -Spec $Path @targets -PassThru -Timeout $Timeout -ThrottleLimit $ThrottleLimit `
    -WhatIf:$WhatIfPreference -ErrorAction SilentlyContinue -ErrorVariable failures)
$created | ForEach-Object { Add-Report $_ 'Created' }

# New-KvmGuest's per-guest errors target the guest's name.
$exists = @($failures | Where-Object { $_.FullyQualifiedErrorId -like 'GuestExists*' })
foreach ($e in $failures | Where-Object { $_ -notin $exists }) {
    Add-Report $null 'Failed' "$($e.TargetObject)" $e.Exception.Message
    $PSCmdlet.WriteError($e)
}

if ($exists) {
    Write-Progress -Activity $activity -Status 'Reading the existing guests' -PercentComplete 30
    $names = @($exists | ForEach-Object { "$($_.TargetObject)" } | Sort-Object -Unique)
    # A name may exist on some of the hosts only: GuestNotFound for the others is expected.
    Get-KvmGuest @targets -Name $names -ErrorAction SilentlyContinue |
        Where-Object { -not $guests.Contains("$($_.ComputerName)/$($_.Name)") } |
        ForEach-Object { Add-Report $_ 'Exists' }
}

$fleet = @($guests.Values | ForEach-Object { $_.Guest })
if (($Start -or $WaitForIPAddress) -and $fleet) {
    $stopped = @($fleet | Where-Object State -ne 'Running')
    if ($stopped) {
        Write-Progress -Activity $activity -Status "Starting $($stopped.Count) guest(s)" -PercentComplete 50
        Start-KvmGuest -Guest $stopped -WhatIf:$WhatIfPreference -ErrorAction SilentlyContinue -ErrorVariable failures
        Set-Failed $failures 'Not started: '
    }
    if (-not $WhatIfPreference) {
        $ready = @($guests.Values | Where-Object { $_.Report.Status -ne 'Failed' } | ForEach-Object { $_.Guest })
        Write-Progress -Activity $activity -Status "Waiting for $($ready.Count) guest(s)" -PercentComplete 70
        $wait = @{ ForIPAddress = [bool]$WaitForIPAddress; Timeout = $Timeout }
        $now = @(if ($ready) { Wait-KvmGuest -Guest $ready @wait -PassThru -ErrorAction SilentlyContinue -ErrorVariable failures })
        Set-Failed $failures $(if ($WaitForIPAddress) { 'No IP address in time: ' } else { 'Not running in time: ' })
        foreach ($g in $now) {
            $report = $guests["$($g.ComputerName)/$($g.Name)"].Report
            $report.State = $g.State
            $report.IPAddresses = @($g.IPAddresses)
        }
    }
}
Write-Progress -Activity $activity -Completed
$reports
