#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Issue 8's load figures: one host with many guests, eight runspaces on one host, ten hosts at once.

.DESCRIPTION
    Needs the lab (root on Linux) and a built module. Runs its own lab instance (KVMLAB_ID 8 unless
    -LabId or $env:KVMLAB_ID says otherwise) with -HostCount hosts and tears it down at the end.

      guests     -GuestCount diskless guests defined on kvm1 (20 of them running):
                 Get-KvmGuest -Name 'prefix*' on an open session; median wall time and the
                 session's RoundTrips for one call (cold: first call of a new session, which also
                 reads the host facts; warm: the next ones)
      runspaces  N runspaces (1, 2, 4, 8), each: Get-KvmGuest | Stop-KvmGuest -Force | Start-KvmGuest
                 on its own 3 running guests, plus Get-KvmHost and Get-KvmNetwork, -Rounds times,
                 all through the module's one pooled session to kvm1; wall time and operations/s
      hosts      Get-KvmHost, Get-KvmGuest and Test-KvmCapability on all hosts in one call, with the
                 default -ThrottleLimit (32: all at once) and with -ThrottleLimit 1 (one after another)

    Nothing here asserts a speed; tests/Hardening.Load.Tests.ps1 checks the counts.

    Run: dotnet pwsh -NoProfile bench/Load.Bench.ps1 [-GuestCount 200] [-HostCount 10] [-Iterations 5]
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 1000)][int]$GuestCount = 200,
    [ValidateRange(2, 12)][int]$HostCount = 10,
    [ValidateRange(1, 50)][int]$Iterations = 5,
    [ValidateRange(1, 20)][int]$Rounds = 3,
    [ValidatePattern('^[1-9]$')][string]$LabId = $(if ($env:KVMLAB_ID) { $env:KVMLAB_ID } else { '8' }),
    [string]$ModulePath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
. (Join-Path $PSScriptRoot 'BenchLab.ps1')   # module, lab instance $LabId, tests/common.ps1, Get-Median
$rows = [Collections.Generic.List[object]]::new()

function Add-Row([string]$Part, [string]$What, [double[]]$Times, [string]$Extra = '') {
    $rows.Add([pscustomobject]@{ Part = $Part; What = $What; Runs = $Times.Count; MedianMs = [math]::Round((Get-Median $Times), 1); Extra = $Extra })
    Write-Host ("  {0,-10} {1,-60} {2,9:0.0} ms  {3}" -f $Part, $What, (Get-Median $Times), $Extra)
}

function Measure-Ms([scriptblock]$Action) {
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $null = & $Action
    $clock.Elapsed.TotalMilliseconds
}

try {
    Write-Host "Lab $LabId with $HostCount hosts..."
    $null = Start-KvmLab -HostCount $HostCount
    $lab = Get-KvmLab
    $connect = { param($i) Connect-KvmHost "root@$($lab.hosts[$i].address)" -KeyFilePath $lab.keyFile -KnownHostsPath $lab.knownHosts }

    # --- guests ---------------------------------------------------------------------------------
    $prefix = 'lbench-'
    Clear-LabGuests kvm1 $prefix
    New-LabGuests kvm1 $prefix -Count ($GuestCount - 20)
    New-LabGuests kvm1 "${prefix}on" -Count 20 -Start
    $cold = @(); $coldTrips = @()
    foreach ($i in 1..$Iterations) {
        $s = & $connect 0
        $before = $s.RoundTrips
        $cold += Measure-Ms { $script:listed = @(Get-KvmGuest -Session $s -Name "$prefix*") }
        $coldTrips += $s.RoundTrips - $before
        if ($listed.Count -ne $GuestCount) { throw "listed $($listed.Count) guests, expected $GuestCount" }
        Disconnect-KvmHost -Session $s
    }
    Add-Row guests "Get-KvmGuest, $GuestCount guests, first call of a session" $cold "round trips: $(Get-Median $coldTrips)"
    $s = & $connect 0
    $null = Get-KvmGuest -Session $s -Name "${prefix}1"
    $warm = @(); $warmTrips = @()
    foreach ($i in 1..$Iterations) {
        $before = $s.RoundTrips
        $warm += Measure-Ms { $null = Get-KvmGuest -Session $s -Name "$prefix*" }
        $warmTrips += $s.RoundTrips - $before
    }
    Add-Row guests "Get-KvmGuest, $GuestCount guests, session with host facts" $warm "round trips: $(Get-Median $warmTrips)"
    Disconnect-KvmHost -All
    Clear-LabGuests kvm1 $prefix

    # --- runspaces ------------------------------------------------------------------------------
    $work = {
        param($ModulePath, $Target, $KeyFile, $KnownHosts, $Prefix, $Rounds)
        $ErrorActionPreference = 'Stop'
        Import-Module $ModulePath
        $null = Connect-KvmHost $Target -KeyFilePath $KeyFile -KnownHostsPath $KnownHosts
        foreach ($round in 1..$Rounds) {
            $null = Get-KvmGuest -ComputerName $Target -Name "$Prefix*" | Stop-KvmGuest -Force -PassThru -Confirm:$false | Start-KvmGuest -PassThru
            $null = Get-KvmHost -ComputerName $Target
            $null = Get-KvmNetwork -ComputerName $Target
        }
    }
    foreach ($n in 1, 2, 4, 8) {
        $rsPrefix = "rbench-$n-"
        foreach ($i in 1..$n) { New-LabGuests kvm1 "$rsPrefix$i-" -Count 3 -Start }
        $pool = [runspacefactory]::CreateRunspacePool($n, $n)
        $pool.Open()
        $ms = Measure-Ms {
            $jobs = foreach ($i in 1..$n) {
                $ps = [powershell]::Create()
                $ps.RunspacePool = $pool
                $null = $ps.AddScript($work).AddArgument($ModulePath).AddArgument("root@$($lab.hosts[0].address)").AddArgument($lab.keyFile).
                    AddArgument($lab.knownHosts).AddArgument("$rsPrefix$i-").AddArgument($Rounds)
                [pscustomobject]@{ PowerShell = $ps; Handle = $ps.BeginInvoke() }
            }
            foreach ($job in $jobs) {
                $job.PowerShell.EndInvoke($job.Handle)
                if ($job.PowerShell.Streams.Error.Count) { throw "runspace failed: $($job.PowerShell.Streams.Error[0])" }
                $job.PowerShell.Dispose()
            }
        }
        $pool.Dispose()
        $operations = $n * $Rounds * 5   # Get, Stop, Start, Get-KvmHost, Get-KvmNetwork
        Add-Row runspaces "$n runspace(s) x $Rounds rounds (3 guests each: get, stop, start; host; networks)" @($ms) ("{0:0.0} cmdlet calls/s" -f ($operations / $ms * 1000))
        Clear-LabGuests kvm1 $rsPrefix
    }

    # --- hosts ----------------------------------------------------------------------------------
    $sessions = @(Connect-KvmHost ($lab.hosts | ForEach-Object { "root@$($_.address)" }) -KeyFilePath $lab.keyFile -KnownHostsPath $lab.knownHosts)
    foreach ($throttle in 32, 1) {
        $label = if ($throttle -eq 1) { 'one host after another (-ThrottleLimit 1)' } else { 'all at once' }
        $times = foreach ($i in 1..$Iterations) { Measure-Ms { $null = Get-KvmHost -Session $sessions -Refresh -ThrottleLimit $throttle } }
        Add-Row hosts "Get-KvmHost -Refresh, $HostCount hosts, $label" $times
        $times = foreach ($i in 1..$Iterations) { Measure-Ms { $null = Get-KvmGuest -Session $sessions -ThrottleLimit $throttle } }
        Add-Row hosts "Get-KvmGuest, $HostCount hosts, $label" $times
        $times = foreach ($i in 1..[math]::Min($Iterations, 3)) { Measure-Ms { $null = Test-KvmCapability -Session $sessions -ThrottleLimit $throttle } }
        Add-Row hosts "Test-KvmCapability, $HostCount hosts, $label" $times
    }
    Disconnect-KvmHost -All
}
finally {
    Disconnect-KvmHost -All -ErrorAction SilentlyContinue
    $null = & bash (Join-Path $repo 'tests/lab/lab.sh') down 2>&1
    $env:KVMLAB_ID = $savedLabId
}

''
'| part | what | runs | median ms | |'
'|---|---|---:|---:|---|'
foreach ($r in $rows) { "| $($r.Part) | $($r.What) | $($r.Runs) | $($r.MedianMs) | $($r.Extra) |" }
