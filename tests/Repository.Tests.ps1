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
