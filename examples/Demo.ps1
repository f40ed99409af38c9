#!/usr/bin/env pwsh
<#
.SYNOPSIS
    The KvmPS demo: the RHEL KVM deployment guide's whole flow, on two throwaway lab hosts.

.DESCRIPTION
    Brings up the local lab (tests/lab: hosts in network namespaces on this machine, each with its own
    sshd and libvirtd; root on Linux), then does what the guide does, with KvmPS cmdlets over SSH:
      1. connect to both hosts (host keys checked) and read their facts;
      2. check them for KVM (VT in firmware and CPU, kernel, vmx|svm, libvirt, DNS, gateway);
      3. install and enable what is missing;
      4. bridge eth0 into br0 safely (rollback timer, DNS and gateway checked on a new connection);
      5. create a guest on br0 from the lab's tiny bootable image and wait for its IP address;
      6. live-move it to the other host while this machine pings it;
      7. show where it is now, and clean up.
    Each step prints what it did. The lab is torn down at the end (unless -KeepLab).

.PARAMETER ModulePath
    The built module's manifest (./build.ps1 -Task Build makes it).

.PARAMETER KeepLab
    Leave the lab running (and the guest and bridges in place) to try things by hand afterwards.

.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Demo
#>
param(
    [string]$ModulePath = (Join-Path $PSScriptRoot '../output/KvmPS/0.1.0/KvmPS.psd1'),
    [switch]$KeepLab
)

$ErrorActionPreference = 'Stop'
$WarningPreference = 'SilentlyContinue'   # warnings are shown where the demo explains them
Import-Module $ModulePath -Force
Import-Module (Join-Path $PSScriptRoot '../tests/lab/KvmLab.psm1') -Force

$script:StepNumber = 0
$script:Started = Get-Date
function Step([string]$Text) {
    $script:StepNumber++
    Write-Host ("`n== {0}. {1}  [{2:n0} s]" -f $StepNumber, $Text, ((Get-Date) - $Started).TotalSeconds) -ForegroundColor Cyan
}
function Say([string]$Text) { Write-Host "   $Text" }
# Tables and lists at the width the views were made for, also when the console is narrower or redirected.
function Show([switch]$List) {
    $data = @($input)
    $(if ($List) { $data | Format-List } else { $data | Format-Table }) | Out-String -Width 120 | ForEach-Object TrimEnd | Write-Host
}

$reason = Get-KvmLabSkipReason
if ($reason) { throw "The demo needs the local lab, which cannot run here: $reason" }

Step 'Starting the lab: kvm1 and kvm2, each with its own sshd and libvirtd, on a LAN with this machine'
$null = Start-KvmLab -HostCount 2
$lab = Get-KvmLab
$guestIp = $lab.gateway -replace '\.\d+$', '.77'
foreach ($h in $lab.hosts) {
    # Like a host on an office LAN: a default route through the gateway (this machine, which also answers DNS).
    Invoke-KvmLabCommand $h.name 'sh', '-c', 'ip route replace default via "$1"', 'x', $lab.gateway | Out-Null
}
Say "hosts $(($lab.hosts | ForEach-Object address) -join ', '); gateway and DNS $($lab.gateway); the guest will be $guestIp"

try {
    Step 'Connecting over SSH, host keys checked against known_hosts; the sessions are named kvm1 and kvm2'
    $sessions = Connect-KvmHost -ComputerName ($lab.hosts | ForEach-Object { "root@$($_.address)" }) -Name kvm1, kvm2 `
        -KeyFilePath $lab.keyFile -KnownHostsPath $lab.knownHosts
    $sessions | Show
    Get-KvmHost -ComputerName kvm1, kvm2 | Show

    Step 'Can they run KVM guests? (Test-KvmCapability: VT in firmware and CPU, kernel, vmx|svm, libvirt, DNS, gateway)'
    $capability = Test-KvmCapability -ComputerName kvm1, kvm2
    $capability | Where-Object { $_ -is [KvmPS.KvmCapabilityResult] -and $_.Status -in 'Fail', 'Warn' -and $_.ComputerName -eq $sessions[0].ComputerName } | Show
    $capability | Where-Object { $_ -is [KvmPS.KvmCapabilitySummary] } | Out-String -Width 120 | Write-Host
    Say 'This machine has no vmx/svm to give (kvm_pvm): the lab guests run with software emulation (TCG). On RHEL'
    Say 'hardware the same checks say what to turn on in the BIOS, and the commands that fix the rest.'

    Step 'Installing and enabling what is missing (Install-KvmHost; -WhatIf first)'
    Install-KvmHost -ComputerName kvm1, kvm2 -WhatIf
    Install-KvmHost -ComputerName kvm1, kvm2 -Confirm:$false
    $before = @($capability | Where-Object { $_ -is [KvmPS.KvmCapabilityResult] -and $_.Status -in 'Fail', 'Warn' -and $_.ComputerName -eq $sessions[0].ComputerName })
    $after = Test-KvmCapability -ComputerName kvm1 -Check $before.Check | Where-Object { $_ -is [KvmPS.KvmCapabilityResult] }
    foreach ($check in $after) {
        $was = ($before | Where-Object Check -EQ $check.Check).Status
        Say ("{0,-20} {1} -> {2}" -f $check.Check, $was, $check.Status)
    }
    Say 'What is left is the hardware (no VT here) and the lab having no init system: not for an installer to fix.'

    Step 'Bridging eth0 into br0 on both hosts (New-KvmBridge: rollback timer armed first, checked over a new connection)'
    Get-KvmBridge -ComputerName kvm1 | Show
    $bridges = New-KvmBridge -ComputerName kvm1, kvm2 -InterfaceName eth0 -Name br0 -PassThru -Confirm:$false
    $bridges | Show
    Say "The hosts' addresses, gateway and DNS moved onto br0 and were checked; guests on br0 are on the LAN."

    Step "Creating a guest on br0 from the tiny bootable image; waiting for its IP address ($guestIp, static)"
    $tiny = & bash (Join-Path $PSScriptRoot '../tests/lab/tiny-guest.sh') build 2>$null | Select-Object -Last 1
    $cmdline = (Get-Content "$tiny/cmdline" -Raw).Trim() + " kvmps.hostname=web1 kvmps.ip=$guestIp/24 kvmps.gw=$($lab.gateway)"
    $guest = New-KvmGuest -ComputerName kvm1 -Name web1 -MemoryBytes 128MB -KernelPath "$tiny/vmlinuz" -InitrdPath "$tiny/initrd.img" `
        -KernelArguments $cmdline -Bridge br0 -DataDiskSizeBytes 64MB -Graphics None -Start -PassThru -Confirm:$false
    $guest = $guest | Wait-KvmGuest -ForIPAddress -Timeout 180 -PassThru
    $guest | Show
    Say "It answers at $($guest.IPAddresses -join ', ') (read through its guest agent; the host has no DHCP lease for a bridged guest)."

    Step 'Pre-flight of the live move to kvm2 (Test-KvmMigration: CPU, machine type, ports, SSH trust, storage, networks...)'
    $checks = $guest | Test-KvmMigration -Destination kvm2 -IncludeStorage
    $checks | Show
    if ($checks.Status -contains 'Fail') { throw 'The pre-flight failed: see the checks above.' }

    Step 'Moving it live to kvm2 while this machine pings it 5 times a second'
    $log = New-TemporaryFile
    $ping = Start-Process ping -ArgumentList '-D', '-O', '-i', '0.2', $guestIp -RedirectStandardOutput $log.FullName -PassThru
    try {
        Start-Sleep -Seconds 2
        $move = $guest | Move-KvmGuest -Destination kvm2 -IncludeStorage -RemoveSourceStorage -PassThru -Confirm:$false
        Start-Sleep -Seconds 2
    }
    finally {
        & kill -INT $ping.Id
        $ping.WaitForExit(5000) | Out-Null
    }
    $lines = Get-Content $log
    Remove-Item $log
    $replies = @($lines | Where-Object { $_ -match 'bytes from' }).Count
    $missed = @($lines | Where-Object { $_ -match 'no answer yet' }).Count
    # ping -D stamps each reply with the Unix time: the replies while the move ran.
    $from, $to = $move.StartTime.ToUniversalTime(), $move.EndTime.ToUniversalTime()
    $during = @($lines | ForEach-Object {
            if ($_ -match '^\[(\d+\.\d+)\].*bytes from') {
                $at = [DateTime]::UnixEpoch.AddSeconds([double]$Matches[1])
                if ($at -ge $from -and $at -le $to) { $at }
            }
        }).Count
    $move | Show
    Say ("Pings: {0} answered ({1} of them while the move ran), {2} missed; the move took {3:n1} s with {4} ms of downtime (libvirt's figure)." -f `
            $replies, $during, $missed, $move.Duration.TotalSeconds, $move.Downtime.TotalMilliseconds)

    Step 'Where is it now?'
    Get-KvmGuest -ComputerName kvm1, kvm2 | Show
    (Get-KvmGuest -ComputerName kvm2 -Name web1).Disks | Show

    if (-not $KeepLab) {
        Step 'Cleaning up: the guest and its disks, the bridges (addresses go back to eth0), the sessions'
        Remove-KvmGuest -ComputerName kvm2 -Name web1 -DeleteStorage -Force -Confirm:$false
        Remove-KvmBridge -ComputerName kvm1, kvm2 -Name br0 -Confirm:$false
        Get-KvmBridge -ComputerName kvm1, kvm2 | Show
        Disconnect-KvmHost -All -PassThru | Show
    }
}
finally {
    if (-not $KeepLab) {
        Step 'Tearing the lab down'
        Stop-KvmLab
    }
    Write-Host ("`nDemo finished in {0:n0} s." -f ((Get-Date) - $Started).TotalSeconds) -ForegroundColor Cyan
}
