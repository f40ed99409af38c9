<#
.SYNOPSIS
    Runs one Pester file in this (fresh) process against the built module and writes its counts
    as JSON, so that build.ps1 can add them up across processes.
#>
param(
    [Parameter(Mandatory)][string]$PesterPath,
    [Parameter(Mandatory)][string]$ModulePath,
    [Parameter(Mandatory)][string]$TestFile,
    [Parameter(Mandatory)][string]$ResultPath
)

$ErrorActionPreference = 'Stop'
$ModulePath = (Resolve-Path $ModulePath).Path
$TestFile = (Resolve-Path $TestFile).Path
Import-Module $PesterPath -MinimumVersion 5.7 -Force
# Test files read this to import the module under test (see tests/common.ps1).
$env:KVMPS_MODULE_PATH = $ModulePath

$config = New-PesterConfiguration
$config.Run.Path = $TestFile
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.Should.ErrorAction = 'Continue'
$result = Invoke-Pester -Configuration $config

# A failed AfterAll or a file that does not parse fails no test by itself: count them so they
# cannot pass silently (a failed BeforeAll already fails the tests under it).
$failed = $result.FailedCount
if ($failed -eq 0) { $failed = $result.FailedBlocksCount + $result.FailedContainersCount }
[pscustomobject]@{
    File    = $TestFile
    Passed  = $result.PassedCount
    Failed  = $failed
    Skipped = $result.SkippedCount
} | ConvertTo-Json | Set-Content -Path $ResultPath
