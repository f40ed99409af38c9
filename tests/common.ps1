# Shared by every tests/*.Tests.ps1: dot-source it in BeforeDiscovery and BeforeAll.
# build.ps1 runs each test file in a fresh pwsh and sets KVMPS_MODULE_PATH to the built module.

$script:RepoRoot = Split-Path $PSScriptRoot -Parent
Import-Module (Join-Path $PSScriptRoot 'lab/KvmLab.psm1') -Force

function Get-KvmPSModulePath {
    if ($env:KVMPS_MODULE_PATH) { return $env:KVMPS_MODULE_PATH }
    $version = (Import-PowerShellDataFile (Join-Path $script:RepoRoot 'KvmPS.psd1')).ModuleVersion
    Join-Path $script:RepoRoot "output/KvmPS/$version/KvmPS.psd1"
}

# This pwsh's own executable (under `dotnet pwsh` the process itself is dotnet).
function Get-PwshPath {
    Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
}

function Import-KvmPSUnderTest {
    Import-Module (Get-KvmPSModulePath) -Force -Global
}

# The reason lab suites are skipped, or $null. Printed so that a skip is never silent.
function Get-LabSkipAnnounced {
    $reason = Get-KvmLabSkipReason
    if ($reason) { Write-Warning "Lab tests in $(Split-Path $MyInvocation.PSCommandPath -Leaf) are SKIPPED: $reason" }
    $reason
}

# A HOME with the lab's key and known_hosts as the default ~/.ssh files, so that plain
# -ComputerName behaves like `ssh host` for a user set up for the lab.
function New-LabHome {
    param([Parameter(Mandatory)]$Lab)
    $home_ = Join-Path ([IO.Path]::GetTempPath()) ("kvmps-home-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory "$home_/.ssh"
    Copy-Item $Lab.keyFile "$home_/.ssh/id_ed25519"
    Copy-Item $Lab.knownHosts "$home_/.ssh/known_hosts"
    if ($IsLinux) { chmod 700 "$home_/.ssh"; chmod 600 "$home_/.ssh/id_ed25519" }
    $home_
}

# Runs argv on a session's host through the module's own transport (internal API, reached by
# reflection so that transport tests go through exactly the code cmdlets use).
function Invoke-TransportCommand {
    param(
        [Parameter(Mandatory)]$Session,
        [Parameter(Mandatory)][AllowEmptyString()][string[]]$Argv,
        [byte[]]$Stdin,
        [double]$TimeoutSeconds = 60,
        [System.Threading.CancellationToken]$CancellationToken = [System.Threading.CancellationToken]::None
    )
    $asm = $Session.GetType().Assembly
    $commandType = $asm.GetType('KvmPS.Transport.RemoteCommand', $true)
    $optionsType = $asm.GetType('KvmPS.Transport.RunOptions', $true)
    $command = [Activator]::CreateInstance($commandType, @([string[]]$Argv, $Stdin, $false, $null))
    $options = [Activator]::CreateInstance($optionsType)
    $options.Timeout = [TimeSpan]::FromSeconds($TimeoutSeconds)
    $connection = $Session.GetType().GetProperty('Connection', [Reflection.BindingFlags]'NonPublic,Instance').GetValue($Session)
    $list = [Array]::CreateInstance($commandType, 1)
    $list[0] = $command
    $batch = $connection.Shell.Run($list, $options, $CancellationToken)
    $batch.Results[0]
}
