#Requires -Modules KvmPS
<#
.SYNOPSIS
    Takes new KVM hosts to ready: capability check, install what is missing, bridge, re-check.

.DESCRIPTION
    For each host, one after the other:

    1. Test-KvmCapability reads what the host has.
    2. Install-KvmHost runs when a check it can fix (packages, the libvirt daemon, the KVM module,
       libvirt's default network and storage pool) is not Pass. It plans only what is missing.
    3. With -InterfaceName, New-KvmBridge makes -BridgeName (br0) from that NIC, unless the bridge
       is there already. The bridge keeps the NIC's addressing; KvmPS arms a rollback on the host
       and checks the result over a new SSH connection before keeping it.
    4. Test-KvmCapability again, when something changed.

    Hosts are prepared one after the other, so that a bridge change never cuts several hosts off
    at once and every error clearly belongs to one host.

    The output is one report per host (PSTypeName KvmPS.Runbook.HostInitialization):
    ComputerName, Status (Ready, NotReady, Failed or WhatIf), Acceleration, Install (NotNeeded,
    Ran, WhatIf, NotConfirmed, Failed), Bridge (NotRequested, Present, Created, WhatIf,
    NotConfirmed, Failed), Fixed (the checks that passed only after this run), FailedChecks (those
    that still fail) and Error. A host that fails is reported as Failed and the next host goes on;
    its error is also written to the error stream.

    -WhatIf and -Confirm pass through to Install-KvmHost and New-KvmBridge, which show every
    command they would run. New-KvmBridge asks for confirmation by default (its impact is High);
    -Confirm:$false runs unattended.

.PARAMETER ComputerName
    The hosts, by name (host, user@host or host:port), as for the KvmPS cmdlets.

.PARAMETER Session
    The hosts, by KvmPS session (Connect-KvmHost).

.PARAMETER InterfaceName
    The NIC to bridge, for example eth0 or ens192. Without it no bridge is made or checked.

.PARAMETER BridgeName
    The bridge to make from -InterfaceName. Default br0.

.PARAMETER AllowSoftwareEmulation
    Counts a host as Ready when only hardware acceleration is missing (a VM without nested
    virtualization, a test lab): its guests then run under software emulation (TCG), many times
    slower.

.EXAMPLE
    ./Initialize-KvmHost.ps1 -ComputerName kvm1, kvm2 -InterfaceName eth0 -WhatIf

    Shows what would be installed and the bridge plan of each host; nothing changes.

.EXAMPLE
    ./Initialize-KvmHost.ps1 -ComputerName kvm3 -InterfaceName ens192 -Confirm:$false |
        Format-Table ComputerName, Status, Install, Bridge, Fixed, FailedChecks

    Prepares kvm3 without prompting and shows the report.

.EXAMPLE
    $hosts = Import-Csv new-hosts.csv
    $report = ./Initialize-KvmHost.ps1 -ComputerName $hosts.Name -InterfaceName eth0 -Confirm:$false
    $report | Where-Object Status -ne Ready | Export-Csv not-ready.csv -NoTypeInformation

    Prepares a batch of hosts and keeps the ones that need a look.

.OUTPUTS
    KvmPS.Runbook.HostInitialization
#>
[CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'ComputerName')]
[OutputType('KvmPS.Runbook.HostInitialization')]
param(
    [Parameter(Mandatory, Position = 0, ParameterSetName = 'ComputerName')]
    [string[]]$ComputerName,

    [Parameter(Mandatory, ParameterSetName = 'Session')]
    [KvmPS.KvmSession[]]$Session,

    [string]$InterfaceName,

    [string]$BridgeName = 'br0',

    [switch]$AllowSoftwareEmulation
)

# The checks Install-KvmHost acts on (see its help); the others it cannot change.
$installChecks = 'LibvirtInstalled', 'QemuInstalled', 'LibvirtDaemon', 'KvmModule', 'DefaultNetwork', 'DefaultStoragePool'
# What only hardware (or the outer hypervisor) gives: tolerated with -AllowSoftwareEmulation.
$hardwareChecks = 'CpuVirtualization', 'Acceleration', 'KvmModule', 'KvmDevice', 'NestedVirtualization'

function Get-Capability([hashtable]$Target) {
    $all = Test-KvmCapability @Target -ErrorAction Stop
    [pscustomobject]@{
        Results = @($all | Where-Object { $_ -is [KvmPS.KvmCapabilityResult] })
        Summary = $all | Where-Object { $_ -is [KvmPS.KvmCapabilitySummary] } | Select-Object -First 1
    }
}

function Test-Ready($Capability) {
    if (-not $Capability.Summary) { return $false }
    if ($Capability.Summary.IsCapable) { return $true }
    $AllowSoftwareEmulation -and -not ($Capability.Summary.FailedChecks | Where-Object { $_ -notin $hardwareChecks })
}

$targets = if ($PSCmdlet.ParameterSetName -eq 'Session') { $Session | ForEach-Object { @{ Session = $_ } } }
           else { $ComputerName | ForEach-Object { @{ ComputerName = $_ } } }
$index = 0
foreach ($target in $targets) {
    $name = if ($target.Session) { $target.Session.ComputerName } else { $target.ComputerName }
    $report = [pscustomobject]@{
        PSTypeName   = 'KvmPS.Runbook.HostInitialization'
        ComputerName = $name
        Status       = 'Failed'
        Acceleration = ''
        Install      = 'NotNeeded'
        Bridge       = if ($InterfaceName) { 'Failed' } else { 'NotRequested' }
        Fixed        = @()
        FailedChecks = @()
        Error        = ''
    }
    $step = 'Checking capability'
    $progress = @{ Activity = 'Initializing KVM hosts'; PercentComplete = 100 * $index++ / @($targets).Count }
    try {
        Write-Progress @progress -Status "$name`: $step"
        $before = Get-Capability $target
        $changed = $false

        $toFix = @($before.Results | Where-Object { $_.Check -in $installChecks -and $_.Status -in 'Fail', 'Warn' })
        if ($toFix) {
            $step = 'Installing'
            Write-Progress @progress -Status "$name`: installing ($($toFix.Check -join ', '))"
            $after = @(Install-KvmHost @target -PassThru -WhatIf:$WhatIfPreference -ErrorAction Stop)
            # No results without -WhatIf: the prompt was declined, nothing ran.
            $report.Install = if ($WhatIfPreference) { 'WhatIf' } elseif ($after) { 'Ran' } else { 'NotConfirmed' }
            $changed = $report.Install -eq 'Ran'
        }

        if ($InterfaceName) {
            $step = "Bridging $InterfaceName into $BridgeName"
            Write-Progress @progress -Status "$name`: $step"
            $existing = Get-KvmBridge @target -ErrorAction Stop | Where-Object Name -eq $BridgeName
            if ($existing -and $existing.Ports -contains $InterfaceName) { $report.Bridge = 'Present' }
            elseif ($existing) { throw "$BridgeName exists on $name without $InterfaceName (ports: $($existing.Ports -join ', '))." }
            else {
                $made = New-KvmBridge @target -Name $BridgeName -InterfaceName $InterfaceName -PassThru -WhatIf:$WhatIfPreference -ErrorAction Stop
                $report.Bridge = if ($WhatIfPreference) { 'WhatIf' } elseif ($made) { 'Created' } else { 'NotConfirmed' }
                $changed = $changed -or $report.Bridge -eq 'Created'
            }
        }

        $step = 'Checking again'
        $final = if ($changed) { Write-Progress @progress -Status "$name`: $step"; Get-Capability $target } else { $before }
        $report.Acceleration = $final.Summary.Acceleration
        $report.FailedChecks = @($final.Summary.FailedChecks)
        $passedNow = $final.Results | Where-Object Status -eq 'Pass' | ForEach-Object { $_.Check }
        $report.Fixed = @($before.Results | Where-Object { $_.Status -ne 'Pass' -and $_.Check -in $passedNow } | ForEach-Object { $_.Check })
        $report.Status = if ($WhatIfPreference) { 'WhatIf' }
                         elseif ((Test-Ready $final) -and $report.Bridge -in 'NotRequested', 'Present', 'Created') { 'Ready' }
                         else { 'NotReady' }
    }
    catch {
        $report.Error = "$step`: $($_.Exception.Message)"
        $PSCmdlet.WriteError($_)
    }
    $report
}
Write-Progress -Activity 'Initializing KVM hosts' -Completed
