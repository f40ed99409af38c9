# Promises the repository makes about itself.
BeforeAll {
    . "$PSScriptRoot/common.ps1"
}

Describe 'README and CI' {
    BeforeAll {
        $script:Readme = Get-Content (Join-Path $RepoRoot 'README.md')
        # The first fenced bash block after "Run the tests" is the test command.
        $start = ($Readme | Select-String -Pattern '^Run the tests' | Select-Object -First 1).LineNumber
        $script:TestCommand = $Readme[$start..($Readme.Count - 1)] |
            Where-Object { $_ -and $_ -notmatch '^```' } | Select-Object -Skip 0 -First 1
    }

    It 'has a test command in the README' {
        $TestCommand | Should -Match 'build\.ps1 -Task Test'
    }

    It '.ci/run runs exactly the README''s test command' {
        $ci = Get-Content (Join-Path $RepoRoot '.ci/run')
        $ci | Should -Contain $TestCommand
    }

    It 'has a demo command that runs the demo script' {
        ($Readme -join "`n") | Should -Match 'build\.ps1 -Task Demo'
        Test-Path (Join-Path $RepoRoot 'examples/Demo.ps1') | Should -BeTrue
    }
}

# The README's PowerShell must not drift from the module: every KvmPS cmdlet it calls exists, and every
# parameter it gives one is a parameter (or alias) of that cmdlet. (The help's examples are run against
# the lab by HelpExamples.Tests.ps1; the README's are read, not run: they name hosts the lab lacks.)
Describe 'README code' {
    BeforeAll {
        Import-KvmPSUnderTest
        $text = Get-Content -Raw (Join-Path $RepoRoot 'README.md')
        $blocks = [regex]::Matches($text, '(?ms)^```powershell\r?\n(.*?)^```') | ForEach-Object { $_.Groups[1].Value }
        $script:Calls = foreach ($block in $blocks) {
            $ast = [System.Management.Automation.Language.Parser]::ParseInput($block, [ref]$null, [ref]$null)
            $ast.FindAll({ param($a) $a -is [System.Management.Automation.Language.CommandAst] }, $true) |
                Where-Object { $_.GetCommandName() -like '*-Kvm*' }
        }
    }

    It 'calls KvmPS cmdlets (the check has something to check)' {
        @($Calls).Count | Should -BeGreaterThan 10
    }

    It 'uses only cmdlets and parameters the module has' {
        $wrong = foreach ($call in $Calls) {
            $command = Get-Command $call.GetCommandName() -Module KvmPS -ErrorAction SilentlyContinue
            if (-not $command) { "$($call.GetCommandName()): no such cmdlet"; continue }
            $names = $command.Parameters.Values | ForEach-Object { $_.Name; $_.Aliases }
            foreach ($p in $call.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] }) {
                if ($p.ParameterName -notin $names) { "$($command.Name) -$($p.ParameterName): no such parameter" }
            }
        }
        $wrong | Should -BeNullOrEmpty
    }
}
