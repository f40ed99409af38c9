#!/usr/bin/env pwsh
<#
.SYNOPSIS
    The KvmPS demo on the local lab: two throwaway KVM hosts in network namespaces on this machine.

.DESCRIPTION
    Brings up the lab (tests/lab, root on Linux), connects to both hosts over SSH with host key
    checking, shows their facts side by side, shows that hostile names never reach a shell, and
    tears the lab down again. Later releases extend it to the whole RHEL deployment flow
    (capability, install, bridge, guests, live migration).
#>
param(
    [string]$ModulePath = (Join-Path $PSScriptRoot '../output/KvmPS/0.1.0/KvmPS.psd1'),
    [switch]$KeepLab
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force
Import-Module (Join-Path $PSScriptRoot '../tests/lab/KvmLab.psm1') -Force

function Step([string]$Text) { Write-Host "`n== $Text" -ForegroundColor Cyan }
# Tables at the width the views were made for, also when the console is narrower or redirected.
function Show { $input | Format-Table | Out-String -Width 140 | Write-Host }

$reason = Get-KvmLabSkipReason
if ($reason) { throw "The demo needs the local lab, which cannot run here: $reason" }

Step 'Starting the lab: kvm1 and kvm2, each with its own sshd and libvirtd'
$null = Start-KvmLab -HostCount 2
$lab = Get-KvmLab
$lab.hosts | Select-Object name, address, @{ n = 'ed25519 host key'; e = { $_.hostKeys.'ssh-ed25519' } } | Show

try {
    Step 'Connecting to an unknown host is refused, with the fingerprint to check'
    $empty = New-TemporaryFile
    try {
        Connect-KvmHost "root@$($lab.hosts[0].address)" -KeyFilePath $lab.keyFile -KnownHostsPath $empty
    }
    catch {
        Write-Host "Refused ($($_.FullyQualifiedErrorId)): $($_.Exception.Message)" -ForegroundColor Yellow
    }
    finally { Remove-Item $empty }

    Step 'Connecting to both hosts with the lab''s known_hosts'
    $sessions = Connect-KvmHost -ComputerName ($lab.hosts | ForEach-Object { "root@$($_.address)" }) `
        -KeyFilePath $lab.keyFile -KnownHostsPath $lab.knownHosts
    $sessions | Show

    Step 'Host facts, both hosts probed in parallel (one round trip each)'
    $sessions | Get-KvmHost | Show
    $first = $sessions[0] | Get-KvmHost
    Write-Host ("{0}: {1} {2}, kernel {3}, CPU flag for VT: '{4}', kvm modules: {5}, libvirt {6} ({7})" -f `
            $first.HostName, $first.OSName, $first.OSVersion, $first.KernelVersion, $first.VirtualizationFlag,
            ($first.KvmModules -join ', '), $first.LibvirtVersion, $first.LibvirtDaemon)

    Step 'Can they run KVM guests? One probe per host, in parallel'
    $capability = $sessions | Test-KvmCapability
    $capability | Where-Object { $_ -is [KvmPS.KvmCapabilityResult] -and $_.ComputerName -eq $sessions[0].ComputerName } |
        Format-Table | Out-String -Width 160 | Write-Host
    $capability | Where-Object { $_ -is [KvmPS.KvmCapabilitySummary] } | Out-String -Width 160 | Write-Host
    Write-Host 'The lab hosts run on a CPU without vmx/svm (kvm_pvm): KvmPS reports software emulation only, not capable.'

    Step 'What Install-KvmHost would do (-WhatIf shows every command)'
    $sessions[0] | Install-KvmHost -WhatIf -WarningAction SilentlyContinue

    Step 'A hostile name is refused before anything runs'
    try { Get-KvmHost -ComputerName 'kvm1;touch /tmp/pwned' }
    catch { Write-Host "Refused ($($_.FullyQualifiedErrorId)): $($_.Exception.Message)" -ForegroundColor Yellow }

    Step 'Sessions in the pool, then closed'
    Get-KvmSession | Show
    Disconnect-KvmHost -All -PassThru | Show
}
finally {
    if (-not $KeepLab) {
        Step 'Tearing the lab down'
        Stop-KvmLab
    }
}
