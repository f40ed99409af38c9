#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Live migration: Move-KvmGuest against the same `virsh migrate` run directly on the source, side
    by side in one run, and N guests moved in parallel against one after another.

.DESCRIPTION
    Needs the lab (root on Linux). Runs its own lab (KVMLAB_ID 8 unless -LabId or $env:KVMLAB_ID
    says otherwise) with two hosts and moves the lab's tiny real guest (direct kernel boot, no disk,
    -MemoryMiB of memory, kernel and initrd on a path both hosts see) between them. The single guest
    first fills -FillMiB of its memory with random data (kvmps.fill), so that the move has to send it:
    an idle guest's zero pages cost nearly nothing, and its move would be all fixed cost.

      single   one guest, alternately kvm1 -> kvm2 and back, -Iterations times each way:
               KvmPS    Move-KvmGuest -Session $s (sessions open before timing): pre-flight, the
                        move, libvirt's figures and the guest read on the destination; wall time in
                        this process
               virsh    the exact command line Move-KvmGuest ran (its -PassThru Command), run
                        directly on the source (lab.sh exec), timed there (date +%s%N)
               pre-flight  Test-KvmMigration alone, for the breakdown
      parallel -GuestCount idle guests of -ParallelMemoryMiB moved with Move-KvmGuest -ThrottleLimit N (all at once) against
               -ThrottleLimit 1 (one after another), both directions, -Iterations times.

    Overhead = (KvmPS median - virsh median) / virsh median. The goal is under 10 %.
    The lab is torn down at the end unless -KeepLab.

    Run: dotnet pwsh bench/Migration.Bench.ps1 [-Iterations 5] [-MemoryMiB 1280] [-FillMiB 1024] [-GuestCount 5]
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 50)][int]$Iterations = 5,
    [ValidateRange(2, 20)][int]$GuestCount = 5,
    [ValidateRange(64, 4096)][int]$MemoryMiB = 1280,
    [ValidateRange(0, 4000)][int]$FillMiB = 1024,
    [ValidateRange(64, 2048)][int]$ParallelMemoryMiB = 256,
    [ValidatePattern('^[1-9]$')][string]$LabId = $(if ($env:KVMLAB_ID) { $env:KVMLAB_ID } else { '8' }),
    [switch]$KeepLab,
    [string]$ModulePath,
    [string]$Prefix = 'mbench-'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
. (Join-Path $PSScriptRoot 'BenchLab.ps1')   # module, lab instance $LabId, tests/common.ps1, Get-Median

function Format-Row([string]$What, [double[]]$Times) {
    '| {0} | {1} | {2:0} | {3:0} | {4:0} | {5} |' -f $What, $Times.Count, (Get-Median $Times), ($Times | Measure-Object -Minimum).Minimum,
        ($Times | Measure-Object -Maximum).Maximum, (($Times | ForEach-Object { $_.ToString('0') }) -join ', ')
}

# The direct virsh run on the source host, timed there: milliseconds.
function Invoke-DirectMove([string]$HostName, [string]$CommandLine) {
    $script = 'a=$(date +%s%N); sh -c "$1" >/dev/null || exit 1; b=$(date +%s%N); echo $(( (b - a) / 1000000 ))'
    [double](Invoke-KvmLabCommand $HostName 'sh', '-c', $script, 'x', $CommandLine | Select-Object -Last 1)
}

try {
    $null = Start-KvmLab -HostCount 2
    $lab = Get-KvmLab
    $sessions = @((Connect-LabHost $lab 0), (Connect-LabHost $lab 1))
    $names = @('kvm1', 'kvm2')
    Clear-LabGuests kvm1 $Prefix
    Clear-LabGuests kvm2 $Prefix
    $guest = "${Prefix}one"
    $fill = if ($FillMiB) { @('--cmdline-extra', "kvmps.fill=$FillMiB") } else { @() }
    New-TinyLabGuest kvm1 $guest -MemoryMiB $MemoryMiB -TinyArgs $fill
    $deadline = [DateTime]::UtcNow.AddSeconds(300)
    do {
        Start-Sleep -Seconds 1
        $log = Invoke-KvmLabCommand kvm1 'sh', '-c', 'grep -a -e "filled" -e "ready" "/var/log/libvirt/qemu/$1-serial.log" || true', 'x', $guest
    } until (($log -match $(if ($FillMiB) { 'filled' } else { 'ready' })) -or [DateTime]::UtcNow -gt $deadline)

    $kvmps = [Collections.Generic.List[double]]::new()
    $direct = [Collections.Generic.List[double]]::new()
    $preflight = [Collections.Generic.List[double]]::new()
    $downtimes = [Collections.Generic.List[double]]::new()
    $data = [Collections.Generic.List[double]]::new()
    # Each iteration moves the guest there and back: KvmPS one way and virsh the other, the order
    # swapped every iteration, so both run in both directions.
    $there = $null   # KvmPS's command line for kvm1 -> kvm2
    for ($i = 0; $i -lt $Iterations * 2; $i++) {
        $kvmpsFirst = $i % 2 -eq 0 -or -not $there
        $from = if ($kvmpsFirst) { 0 } else { 1 }
        $to = 1 - $from
        if (-not $kvmpsFirst) { $direct.Add((Invoke-DirectMove kvm1 $there)) }
        $preflight.Add((Measure-Command { $null = Test-KvmMigration -Session $sessions[$from] -Name $guest -Destination $sessions[$to] }).TotalMilliseconds)
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $r = Move-KvmGuest -Session $sessions[$from] -Name $guest -Destination $sessions[$to] -PassThru
        $kvmps.Add($clock.Elapsed.TotalMilliseconds)
        $downtimes.Add($r.Downtime.TotalMilliseconds)
        $data.Add($r.DataTransferredBytes / 1MB)
        if ($kvmpsFirst) {
            $there = $r.Command
            $back = $r.Command -replace [regex]::Escape($lab.hosts[1].address), $lab.hosts[0].address
            $direct.Add((Invoke-DirectMove kvm2 $back))
        }
        Write-Host ("  {0}: KvmPS {1:0} ms ({2} -> {3}), virsh {4:0} ms, pre-flight {5:0} ms, downtime {6} ms" -f ($i + 1), $kvmps[-1], $names[$from], $names[$to], $direct[-1], $preflight[-1], $r.Downtime.TotalMilliseconds)
    }

    $serial = [Collections.Generic.List[double]]::new()
    $parallel = [Collections.Generic.List[double]]::new()
    Clear-LabGuests kvm1 $Prefix
    Clear-LabGuests kvm2 $Prefix
    1..$GuestCount | ForEach-Object { New-TinyLabGuest kvm1 "${Prefix}p$_" -MemoryMiB $ParallelMemoryMiB }
    Start-Sleep -Seconds 3
    $at = 0
    for ($i = 0; $i -lt $Iterations * 2; $i++) {
        $from = $at; $to = 1 - $at
        $throttle = if ($i % 2) { 1 } else { $GuestCount }
        $ms = (Measure-Command { Move-KvmGuest -Session $sessions[$from] -Name "${Prefix}p*" -Destination $sessions[$to] -ThrottleLimit $throttle }).TotalMilliseconds
        if ($throttle -eq 1) { $serial.Add($ms) } else { $parallel.Add($ms) }
        Write-Host ("  {0} guests, -ThrottleLimit {1}: {2:0} ms ({3} -> {4})" -f $GuestCount, $throttle, $ms, $names[$from], $names[$to])
        $at = $to
    }

    $overhead = ((Get-Median $kvmps) - (Get-Median $direct)) / (Get-Median $direct) * 100
    ''
    "Live migration of the tiny guest ($MemoryMiB MiB, $FillMiB MiB of it random data; TCG), lab hosts on one machine, $(Get-Date -Format 'yyyy-MM-dd HH:mm') UTC"
    ''
    '| what | n | median ms | min | max | all |'
    '|---|---:|---:|---:|---:|---|'
    Format-Row 'Move-KvmGuest (pre-flight + move + result)' $kvmps
    Format-Row 'virsh migrate, same command, run on the source' $direct
    Format-Row 'Test-KvmMigration alone (the pre-flight)' $preflight
    ('| data sent per move (libvirt) | {0} | {1:0} MiB | | | |' -f $data.Count, (Get-Median $data))
    Format-Row "$GuestCount idle guests ($ParallelMemoryMiB MiB), Move-KvmGuest -ThrottleLimit $GuestCount" $parallel
    Format-Row "$GuestCount idle guests ($ParallelMemoryMiB MiB), Move-KvmGuest -ThrottleLimit 1" $serial
    ''
    'Overhead of Move-KvmGuest over virsh migrate: {0:0.0} % (goal: under 10 %); libvirt downtime median {1:0} ms' -f $overhead, (Get-Median $downtimes)
    'Parallel vs one after another: {0:0.00}x' -f ((Get-Median $serial) / (Get-Median $parallel))
}
finally {
    Disconnect-KvmHost -All -ErrorAction SilentlyContinue
    if ($KeepLab) {
        Clear-LabGuests kvm1 $Prefix
        Clear-LabGuests kvm2 $Prefix
    }
    else {
        & bash (Join-Path $repo 'tests/lab/lab.sh') down | Out-Null
    }
    $env:KVMLAB_ID = $savedLabId
}
