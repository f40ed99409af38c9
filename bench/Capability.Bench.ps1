#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Test-KvmCapability on 1 host versus 3 hosts in parallel (goal: 3 hosts cost under 1.5x one).

.DESCRIPTION
    Needs the lab (root on Linux). Measures the median wall time of Test-KvmCapability over open
    sessions (the probe round trip and the evaluation), and the same including the SSH connect.
    Prints a markdown table. Run: dotnet pwsh bench/Capability.Bench.ps1 [-Iterations 15]
#>
param(
    [int]$Iterations = 15,
    [string]$ModulePath = (Join-Path $PSScriptRoot '../output/KvmPS/0.1.0/KvmPS.psd1')
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force
Import-Module (Join-Path $PSScriptRoot '../tests/lab/KvmLab.psm1') -Force
$null = Start-KvmLab -HostCount 3
$lab = Get-KvmLab
$names = @($lab.hosts | ForEach-Object { "root@$($_.address)" })

. (Join-Path $PSScriptRoot 'BenchCommon.ps1')   # Get-Median

function Measure-Median([scriptblock]$Action) {
    & $Action | Out-Null   # warm-up
    $times = foreach ($i in 1..$Iterations) {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        & $Action | Out-Null
        $clock.Elapsed.TotalMilliseconds
    }
    Get-Median $times
}

$sessions = Connect-KvmHost $names -KeyFilePath $lab.keyFile -KnownHostsPath $lab.knownHosts
$one = Measure-Median { Test-KvmCapability -Session $sessions[0] }
$three = Measure-Median { Test-KvmCapability -Session $sessions }
$threeSequential = Measure-Median { Test-KvmCapability -Session $sessions -ThrottleLimit 1 }
# What one probe costs the host's CPU: the lab's hosts share this machine's cores, so parallel
# probes compete for them (on real hosts each probe runs on its own host).
$probeCpu = Invoke-KvmLabCommand kvm1 bash, -c, 'TIMEFORMAT="%R %U %S"; { time sh -s >/dev/null; } 2>&1' -InputText (Get-Content -Raw (Join-Path $PSScriptRoot '../src/KvmPS/Scripts/host-probe.sh'))
$real, $user, $sys = ($probeCpu | Select-Object -Last 1) -split ' ' 
Disconnect-KvmHost -All
# Cold: -ComputerName opens sessions with ssh's defaults, so give them a HOME with the lab's key.
. (Join-Path $PSScriptRoot '../tests/common.ps1')
$savedHome = $env:HOME
$env:HOME = New-LabHome -Lab $lab
$oneCold = Measure-Median { Test-KvmCapability -ComputerName $names[0]; Disconnect-KvmHost -All }
$threeCold = Measure-Median { Test-KvmCapability -ComputerName $names; Disconnect-KvmHost -All }
Remove-Item $env:HOME -Recurse -Force
$env:HOME = $savedHome

"Test-KvmCapability, lab hosts, median of $Iterations ($([Environment]::ProcessorCount) CPUs):"
''
'| what | 1 host | 3 hosts | 3 hosts / 1 host |'
'|---|---:|---:|---:|'
'| open sessions (probe + checks) | {0:0} ms | {1:0} ms | {2:0.00}x |' -f $one, $three, ($three / $one)
'| open sessions, one host at a time (-ThrottleLimit 1) | {0:0} ms | {1:0} ms | {2:0.00}x |' -f $one, $threeSequential, ($threeSequential / $one)
'| including SSH connect | {0:0} ms | {1:0} ms | {2:0.00}x |' -f $oneCold, $threeCold, ($threeCold / $oneCold)
''
"One probe costs a lab host {0:0} ms user + {1:0} ms system CPU (plus libvirtd's own); the $([Environment]::ProcessorCount) cores are shared by the client and all lab hosts." -f ([double]$user * 1000), ([double]$sys * 1000)
