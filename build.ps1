#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests and demonstrates KvmPS.

.DESCRIPTION
    Build  compiles the solution and assembles output/KvmPS/<version>/ (manifest, KvmPS.dll, the
           isolated SSH dependencies under lib/, the format file and MAML help).
    Test   builds, runs the xunit tests and every tests/*.Tests.ps1, tests/lab/*.Tests.ps1 and
           examples/*.Tests.ps1 file (each in a fresh pwsh),
           starts the lab for the suites that need it and tears it down at the end, and prints
           "N passed, M failed" for all of them together. Exits non-zero on any failure.
    Help   checks help/en-US against the PlatyPS schema and rebuilds the MAML in the module folder.
    Demo   builds and runs examples/Demo.ps1 on the local lab.
    Clean  removes build output.

.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Help', 'Demo', 'Clean')]
    [string]$Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string]$Configuration = 'Release',

    # Pester test files to run (default: all of tests/*.Tests.ps1).
    [string[]]$TestPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$manifest = Import-PowerShellDataFile (Join-Path $root 'KvmPS.psd1')
$version = $manifest.ModuleVersion
$moduleDir = Join-Path $root "output/KvmPS/$version"

function Invoke-Native {
    param([string]$FilePath, [string[]]$ArgumentList)
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) { throw "$FilePath $($ArgumentList -join ' ') failed with exit code $LASTEXITCODE" }
}

function Get-NuGetPackageRoot {
    if ($env:NUGET_PACKAGES) { return $env:NUGET_PACKAGES }
    $line = & dotnet nuget locals global-packages --list
    return ($line -replace '^global-packages:\s*', '').Trim()
}

function Invoke-Build {
    Invoke-Native dotnet @('build', (Join-Path $root 'KvmPS.sln'), '-c', $Configuration, '-nologo', '-v', 'q')
    if (Test-Path $moduleDir) { Remove-Item $moduleDir -Recurse -Force }
    $null = New-Item -ItemType Directory -Path $moduleDir, "$moduleDir/lib/core", "$moduleDir/lib/desktop", "$moduleDir/en-US"

    $bin = Join-Path $root "src/KvmPS/bin/$Configuration/netstandard2.0"
    Copy-Item "$bin/KvmPS.dll", "$bin/KvmPS.pdb" $moduleDir
    Copy-Item (Join-Path $root 'KvmPS.psd1'), (Join-Path $root 'LICENSE'), (Join-Path $root 'CHANGELOG.md') $moduleDir
    Copy-Item (Join-Path $root 'module/*') $moduleDir -Recurse

    # The wrappers of third-party libraries and their dependencies, one set per runtime, loaded
    # in isolation by IsolatedDependencies.
    foreach ($project in 'KvmPS.Ssh', 'KvmPS.Yaml') {
        foreach ($pair in @(@('net8.0', 'core'), @('netstandard2.0', 'desktop'))) {
            $publish = Join-Path $root "src/$project/bin/$Configuration/publish-$($pair[0])"
            Invoke-Native dotnet @('publish', (Join-Path $root "src/$project/$project.csproj"), '-c', $Configuration,
                '-f', $pair[0], '-o', $publish, '--no-build', '-nologo', '-v', 'q')
            Get-ChildItem $publish -Filter *.dll |
                Where-Object Name -NotIn 'KvmPS.dll', 'System.Management.Automation.dll' |
                Copy-Item -Destination "$moduleDir/lib/$($pair[1])" -Force
        }
    }

    Invoke-Help
    Write-Host "Built KvmPS $version in $moduleDir"
}

function Invoke-Help {
    $converter = Join-Path $root 'tools/help/ConvertTo-Maml.ps1'
    $null = & $converter -Path (Join-Path $root "help/en-US") -OutputPath "$moduleDir/en-US"
}

function Invoke-Test {
    Invoke-Build
    $results = Join-Path $root 'output/TestResults'
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }
    $null = New-Item -ItemType Directory $results

    # xunit: counted from its TRX report.
    $trx = Join-Path $results 'units.trx'
    & dotnet test (Join-Path $root 'tests/units/KvmPS.Tests.csproj') -c $Configuration --no-build -nologo `
        --logger "trx;LogFileName=$trx" --logger 'console;verbosity=minimal'
    $unit = @{ Passed = 0; Failed = 0; Skipped = 0 }
    if (Test-Path $trx) {
        $counters = ([xml](Get-Content -Raw $trx)).TestRun.ResultSummary.Counters
        $unit.Passed = [int]$counters.passed
        $unit.Failed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        $unit.Skipped = [int]$counters.notExecuted
    }
    else {
        $unit.Failed = 1
        Write-Warning 'The xunit run produced no report; counted as one failure.'
    }

    # Pester: every file in a fresh pwsh that imports the built module.
    $pester = Join-Path (Get-NuGetPackageRoot) 'pester/5.7.1/tools/Pester.psd1'
    if (-not (Test-Path $pester)) {
        Invoke-Native dotnet @('restore', (Join-Path $root 'tools/pester/Pester.Restore.csproj'), '-nologo', '-v', 'q')
    }

    $files = if ($TestPath) { $TestPath | ForEach-Object { (Resolve-Path $_).Path } }
             else { (Get-ChildItem (Join-Path $root 'tests'), (Join-Path $root 'tests/lab'), (Join-Path $root 'examples') -Filter '*.Tests.ps1').FullName }
    $pesterTotals = @{ Passed = 0; Failed = 0; Skipped = 0 }
    $pwsh = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
    $runner = Join-Path $root 'tools/pester/Invoke-PesterFile.ps1'
    try {
        foreach ($file in $files) {
            $json = Join-Path $results ((Split-Path $file -Leaf) + '.json')
            & $pwsh -NoProfile -NonInteractive -File $runner -PesterPath $pester -ModulePath "$moduleDir/KvmPS.psd1" -TestFile $file -ResultPath $json
            if (Test-Path $json) {
                $r = Get-Content -Raw $json | ConvertFrom-Json
                $pesterTotals.Passed += $r.Passed
                $pesterTotals.Failed += $r.Failed
                $pesterTotals.Skipped += $r.Skipped
            }
            else {
                $pesterTotals.Failed += 1
                Write-Warning "$file produced no result (the test process crashed); counted as one failure."
            }
        }
    }
    finally {
        $lab = Join-Path $root 'tests/lab/lab.sh'
        if ($IsLinux -and (Test-Path $lab) -and (& id -u) -eq '0') { & bash $lab down *> $null }
    }

    $passed = $unit.Passed + $pesterTotals.Passed
    $failed = $unit.Failed + $pesterTotals.Failed
    $skipped = $unit.Skipped + $pesterTotals.Skipped
    Write-Host ''
    Write-Host "xunit: $($unit.Passed) passed, $($unit.Failed) failed, $($unit.Skipped) skipped"
    Write-Host "Pester: $($pesterTotals.Passed) passed, $($pesterTotals.Failed) failed, $($pesterTotals.Skipped) skipped"
    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0) { exit 1 }
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Help' {
        if (-not (Test-Path $moduleDir)) { throw "Build first: ./build.ps1 -Task Build" }
        Invoke-Help
        Write-Host "Help rebuilt in $moduleDir/en-US"
    }
    'Demo' {
        Invoke-Build
        & (Join-Path $root 'examples/Demo.ps1') -ModulePath "$moduleDir/KvmPS.psd1"
    }
    'Clean' {
        Remove-Item (Join-Path $root 'output') -Recurse -Force -ErrorAction SilentlyContinue
        Invoke-Native dotnet @('clean', (Join-Path $root 'KvmPS.sln'), '-nologo', '-v', 'q')
    }
}
