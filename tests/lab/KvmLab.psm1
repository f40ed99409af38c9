#Requires -Version 7.2
<#
.SYNOPSIS
    Drives the KvmPS test lab (tests/lab/lab.sh) from Pester suites.
.DESCRIPTION
    The lab is a set of fake KVM hosts (kvm1..kvmN) made of Linux namespaces on this machine,
    each with its own sshd and libvirtd. It needs root on Linux; Get-KvmLabSkipReason tells
    whether it can run. See tests/lab/README.md.

        Import-Module (Join-Path $PSScriptRoot 'lab/KvmLab.psm1') -Force
        BeforeAll {
            $script:skip = Get-KvmLabSkipReason
            if (-not $script:skip) { $script:hosts = Start-KvmLab -HostCount 2 }
        }
        It 'lists domains' -Skip:([bool](Get-KvmLabSkipReason)) { ... }
#>
Set-StrictMode -Version Latest

$script:LabScript = Join-Path $PSScriptRoot 'lab.sh'

function Get-LabStateDir {
    # same rule as lab.sh
    if ($env:KVMLAB_STATE_DIR) { return $env:KVMLAB_STATE_DIR }
    $dir = Join-Path $PSScriptRoot '.state'
    if ($env:KVMLAB_ID) { $dir = Join-Path $dir "id$($env:KVMLAB_ID)" }
    $dir
}

# Runs `bash lab.sh <args>`; returns ExitCode, StdOut, StdErr. Arguments are passed as a list
# (no quoting), stdin is closed or fed from $InputText, and the whole process tree is killed
# when $TimeoutSec passes.
function Invoke-LabScript {
    param(
        [Parameter(Mandatory)][string[]]$Arguments,
        [string]$InputText,
        [int]$TimeoutSec = 600
    )
    $psi = [System.Diagnostics.ProcessStartInfo]::new('bash')
    $psi.ArgumentList.Add($script:LabScript)
    foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.RedirectStandardInput = $true
    $psi.UseShellExecute = $false
    $p = [System.Diagnostics.Process]::Start($psi)
    try {
        $stdout = $p.StandardOutput.ReadToEndAsync()
        $stderr = $p.StandardError.ReadToEndAsync()
        if ($PSBoundParameters.ContainsKey('InputText')) { $p.StandardInput.Write($InputText) }
        $p.StandardInput.Close()
        if (-not $p.WaitForExit($TimeoutSec * 1000)) {
            $p.Kill($true)
            $p.WaitForExit()
            throw "lab.sh $($Arguments -join ' ') timed out after $TimeoutSec s"
        }
        $p.WaitForExit()   # flushes the async readers
        [pscustomobject]@{
            ExitCode = $p.ExitCode
            StdOut   = $stdout.GetAwaiter().GetResult()
            StdErr   = $stderr.GetAwaiter().GetResult()
        }
    }
    finally { $p.Dispose() }
}

function Get-LastLines([string]$Text, [int]$Count = 5) {
    (($Text -split "`r?`n") | Where-Object { $_ } | Select-Object -Last $Count) -join "`n"
}

<#
.SYNOPSIS
    Returns $null when the lab can run here, else the reason ("not Linux", "not root",
    "missing: libvirtd sshd", ...). Set KVMLAB_DISABLE=1 to skip lab tests on purpose.
#>
function Get-KvmLabSkipReason {
    [CmdletBinding()]
    [OutputType([string])]
    param()
    if ($env:KVMLAB_DISABLE) { return "disabled by KVMLAB_DISABLE" }
    if (-not $IsLinux) { return 'not Linux' }
    if (-not (Get-Command bash -CommandType Application -ErrorAction SilentlyContinue)) { return 'missing: bash' }
    $r = Invoke-LabScript -Arguments 'check-deps' -TimeoutSec 60
    if ($r.ExitCode -eq 0) { return $null }
    $reason = Get-LastLines $r.StdOut 1
    if (-not $reason) { $reason = Get-LastLines $r.StdErr 1 }
    if (-not $reason) { $reason = "lab.sh check-deps failed (exit $($r.ExitCode))" }
    $reason
}

<#
.SYNOPSIS
    The lab as described by .state/lab.json (hosts, users, key and known_hosts paths), or
    $null when it was never brought up.
#>
function Get-KvmLab {
    [CmdletBinding()]
    param()
    $json = Join-Path (Get-LabStateDir) 'lab.json'
    if (-not (Test-Path $json)) { return $null }
    $lab = Get-Content -Raw $json | ConvertFrom-Json
    foreach ($h in $lab.hosts) {
        $h.PSObject.TypeNames.Insert(0, 'KvmLab.Host')
        $h | Add-Member -NotePropertyName knownHosts -NotePropertyValue $lab.knownHosts -Force
    }
    $lab
}

<#
.SYNOPSIS
    Brings the lab up with hosts kvm1..kvmN (idempotent: fast when already up) and returns
    the hosts: name, address, port (22), user (root), password, keyFile, hostKeys
    (type -> SHA256 fingerprint), knownHosts. Throws when the lab cannot start; the message
    is the reason.
#>
function Start-KvmLab {
    [CmdletBinding()]
    param(
        [ValidateRange(1, 12)][int]$HostCount = 2,
        [int]$TimeoutSec = 600
    )
    $reason = Get-KvmLabSkipReason
    if ($reason) { throw $reason }
    $r = Invoke-LabScript -Arguments @('up', "$HostCount") -TimeoutSec $TimeoutSec
    Write-Verbose $r.StdErr
    if ($r.ExitCode -ne 0) {
        $why = Get-LastLines $r.StdErr 5
        if (-not $why) { $why = "lab.sh up exited with $($r.ExitCode)" }
        throw $why
    }
    (Get-KvmLab).hosts
}

<#
.SYNOPSIS
    Tears the lab down (all lab processes, namespaces, mounts, cgroups). Keeps .state.
#>
function Stop-KvmLab {
    [CmdletBinding()]
    param()
    if (-not $IsLinux) { return }
    $r = Invoke-LabScript -Arguments 'down' -TimeoutSec 120
    if ($r.ExitCode -ne 0) { throw (Get-LastLines $r.StdErr 5) }
}

<#
.SYNOPSIS
    Runs a command inside a lab host (all its namespaces and mounts: what `ssh root@host`
    would see, without ssh). Returns its standard output as lines; throws when it exits
    non-zero unless -IgnoreExitCode. -PassThru returns ExitCode, StdOut and StdErr instead.
.EXAMPLE
    Invoke-KvmLabCommand -HostName kvm1 -Command virsh, list, --all
.EXAMPLE
    Invoke-KvmLabCommand kvm1 virsh, define, /dev/stdin -InputText $xml
#>
function Invoke-KvmLabCommand {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)][ValidatePattern('^kvm([1-9]|1[0-2])$')][string]$HostName,
        [Parameter(Mandatory, Position = 1)][string[]]$Command,
        [string]$InputText,
        [int]$TimeoutSec = 300,
        [switch]$IgnoreExitCode,
        [switch]$PassThru
    )
    $params = @{ Arguments = @('exec', $HostName) + $Command; TimeoutSec = $TimeoutSec }
    if ($PSBoundParameters.ContainsKey('InputText')) { $params.InputText = $InputText }
    $r = Invoke-LabScript @params
    if ($PassThru) { return $r }
    if ($r.ExitCode -ne 0 -and -not $IgnoreExitCode) {
        throw "[$HostName] $($Command -join ' ') exited with $($r.ExitCode): $(Get-LastLines $r.StdErr 5)"
    }
    if ($r.StdOut) { $r.StdOut.TrimEnd("`r", "`n") -split "`r?`n" }
}

<#
.SYNOPSIS
    Gives a lab host new ssh host keys (ed25519, ecdsa, rsa) and reloads its sshd; updates
    the lab's known_hosts and lab.json. Copy the known_hosts file first to test
    "host key changed". Returns the host's new description.
#>
function Reset-KvmLabHostKey {
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)][ValidatePattern('^kvm([1-9]|1[0-2])$')][string]$HostName)
    if (-not $PSCmdlet.ShouldProcess($HostName, 'regenerate ssh host keys')) { return }
    $r = Invoke-LabScript -Arguments @('rekey', $HostName) -TimeoutSec 120
    if ($r.ExitCode -ne 0) { throw (Get-LastLines $r.StdErr 5) }
    (Get-KvmLab).hosts | Where-Object name -EQ $HostName
}

<#
.SYNOPSIS
    Fault tests: kills a lab host's libvirtd as a crash would (its guests' QEMU processes live on), or
    starts it again and waits until it answers.
#>
function Set-KvmLabLibvirtd {
    param(
        [Parameter(Mandatory, Position = 0)][ValidatePattern('^kvm([1-9]|1[0-2])$')][string]$HostName,
        [Parameter(Mandatory, Position = 1)][ValidateSet('Kill', 'Start')][string]$Action
    )
    $r = Invoke-LabScript -Arguments 'libvirtd', $HostName, $Action.ToLowerInvariant() -TimeoutSec 180
    if ($r.ExitCode -ne 0) { throw "lab.sh libvirtd $HostName $Action failed: $(Get-LastLines $r.StdErr 5)" }
}

Export-ModuleMember -Function Get-KvmLabSkipReason, Get-KvmLab, Start-KvmLab, Stop-KvmLab,
    Invoke-KvmLabCommand, Reset-KvmLabHostKey, Set-KvmLabLibvirtd
