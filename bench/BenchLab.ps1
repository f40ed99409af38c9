# Shared opening of the benchmarks that run on their own lab instance: dot-source it at script level,
# after the script's param block has set $LabId (1..9) and maybe $ModulePath. It imports the built
# module (or -ModulePath), points the lab helpers at that lab instance (restore $env:KVMLAB_ID from
# $savedLabId at the end), and brings in tests/common.ps1 and BenchCommon.ps1.

$repo = Split-Path $PSScriptRoot -Parent
if (-not $ModulePath) {
    $version = (Import-PowerShellDataFile (Join-Path $repo 'KvmPS.psd1')).ModuleVersion
    $ModulePath = Join-Path $repo "output/KvmPS/$version/KvmPS.psd1"
}

$savedLabId = $env:KVMLAB_ID
$env:KVMLAB_ID = $LabId
Import-Module $ModulePath -Force
. (Join-Path $repo 'tests/common.ps1')          # KvmLab.psm1, New-LabGuests, New-TinyLabGuest, Clear-LabGuests
. (Join-Path $PSScriptRoot 'BenchCommon.ps1')   # Get-Median
