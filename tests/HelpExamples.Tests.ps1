# Runs the examples of every help page (help/en-US/<Cmdlet>.md, "### Example N: ..." and its code) against
# the lab, verbatim and in the order of the page, as an admin would type them. What makes that possible:
# - sessions named kvm1, kvm2, kvm3 (Connect-KvmHost -Name) to the lab's hosts, reached by address, so
#   `-ComputerName kvm1` finds the pooled session; the documentation addresses 192.0.2.11-13 stand for
#   the lab's addresses of kvm1-kvm3 and are replaced by them;
# - a HOME whose ~/.ssh has the lab's key and known_hosts, as an admin's would;
# - before each example, the fixtures the examples expect (guests web1, web2 and db1 running on kvm1, db1
#   with a disk; nothing on kvm2 and kvm3; only the network default, active; br0 on kvm1 when the example
#   names it), and what the example made before is gone, so examples are independent. A host is reset
#   only when a fingerprint of it (guests, disks, networks, links, addresses) differs from what the last
#   reset left; pages whose examples need no guests run among whatever guests there are;
# - confirmation prompts are answered Yes ($ConfirmPreference = 'None'), as the admin at the prompt would.
# An example passes when it throws nothing, records no error (not even one it silenced), and its check
# passes: by default that it wrote output or What-if lines, otherwise the check in $Checks below.

BeforeDiscovery {
    # The examples that cannot run on the lab, and why. They are reported as skipped with this reason.
    $NotOnLab = @{
        'Connect-KvmHost Example 3' = 'asks for the sudo password with Get-Credential (interactive)'
        'New-KvmGuest Example 4'    = 'asks for the password with Read-Host (interactive)'
        'Move-KvmGuest Example 7'   = "the lab's QEMU cannot do post-copy: libvirt fails with 'migrate-set-capabilities: Postcopy is not supported'"
    }

    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
    # Every example: its page, number, title, the code to run and the files it reads (yaml blocks
    # before the code whose first line is "# <file name>: ...").
    # KVMPS_HELP_PAGES (e.g. "Restart-KvmGuest,Suspend-KvmGuest") runs only those pages, for work on them.
    $only = if ($env:KVMPS_HELP_PAGES) { $env:KVMPS_HELP_PAGES -split "," } else { @() }
    $script:Pages = foreach ($file in Get-ChildItem "$PSScriptRoot/../help/en-US" -Filter '*-Kvm*.md' | Sort-Object Name | Where-Object { -not $only -or $_.BaseName -in $only }) {
        $lines = Get-Content $file.FullName
        $examples = @(); $current = $null; $fence = $null
        for ($i = 0; $i -lt $lines.Count; $i++) {
            $line = $lines[$i]
            if ($fence) {
                if ($line -match '^```\s*$') { $current.Blocks += , @{ Lang = $fence; Text = ($buffer -join "`n") }; $fence = $null }
                else { $buffer += $line }
            }
            elseif ($line -match '^## ' -and $current) { $examples += $current; $current = $null; if ($line -ne '## EXAMPLES') { break } }
            elseif ($line -match '^### Example (\d+): (.+)$') {
                if ($current) { $examples += $current }
                $current = @{ Number = [int]$Matches[1]; Title = $Matches[2]; Blocks = @() }
            }
            elseif ($current -and $line -match '^```(\w*)') { $fence = $Matches[1]; $buffer = @() }
        }
        $page = $file.BaseName
        @{
            Page     = $page
            Examples = @(foreach ($e in $examples) {
                    $code = @($e.Blocks | Where-Object Lang -eq 'powershell').Text -join "`n"
                    $files = @{}
                    foreach ($b in $e.Blocks | Where-Object Lang -ne 'powershell') {
                        if ($b.Text -match '^#\s*([\w.-]+):') { $files[$Matches[1]] = $b.Text }
                    }
                    @{ Page = $page; Key = "$page Example $($e.Number)"; Title = $e.Title; Number = $e.Number
                        Code = $code; Files = $files; Skip = $NotOnLab["$page Example $($e.Number)"] }
                })
        }
    }
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    . "$PSScriptRoot/HelpExamples.Fixtures.ps1"
    Import-KvmPSUnderTest
    if (-not (Get-KvmLabSkipReason)) { Initialize-ExampleLab }
}

AfterAll {
    if (-not (Get-KvmLabSkipReason)) { Clear-ExampleLab }
}

Describe 'Help examples of <Page>' -ForEach $Pages -Skip:([bool]$LabSkip) {
    It '<Page> Example <Number>: <Title>' -ForEach $Examples {
        if ($Skip) { Set-ItResult -Skipped -Because $Skip; return }
        Reset-ExampleFixture -Page $Page -Key $Key -Code ((@($Code) + $Files.Values) -join "`n")
        $result = Invoke-Example -Code $Code -Files $Files
        $result.Exception | Should -BeNullOrEmpty -Because "the example must not throw ($($result.Exception))"
        @($result.Errors | ForEach-Object { "$($_.FullyQualifiedErrorId): $_" }) | Should -BeNullOrEmpty -Because 'the example must record no error'
        Assert-Example -Key $Key -Result $result
    }
}
