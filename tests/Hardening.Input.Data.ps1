# Data of Hardening.Input.Tests.ps1: the hostile corpus and, per cmdlet, the least it needs to run.
# Dot-sourced in BeforeDiscovery and BeforeAll.

# Every payload that a shell, ssh or virsh could execute would create $Canary (a path unique to the
# run); the test looks for it on the lab hosts and on this machine after each cmdlet.
function New-HostileCorpus {
    param([Parameter(Mandatory)][string]$Canary)
    $long = 'g' + ('x' * 298) + 'z'
    [ordered]@{
        'dollar-paren'   = "`$(touch $Canary)"
        'semicolon'      = "';touch $Canary;'"
        'pipe'           = "x|touch $Canary"
        'ampersand'      = "x&touch $Canary&"
        'backtick'       = "``touch $Canary``"
        'newline'        = "x`ntouch $Canary"
        'double-quote'   = "`";touch $Canary;`""
        'flag'           = '--help'
        'ssh-option'     = "-oProxyCommand=touch $Canary"
        'dotdot-path'    = '../../etc/passwd'
        'abs-path-shell' = "/tmp/a'`$(touch $Canary)`"b;touch $Canary"
        'abs-path-xml'   = "/tmp/<x a='1'>&amp;]]>"
        'abs-path-flag'  = "/tmp/x --config=/etc/passwd"
        'xml'            = '<x/>&amp;]]><!--'
        'long-300'       = $long
        'unicode'        = "g$([char]0xE4)st-$([char]0x540D)$([char]0x524D)-$([char]::ConvertFromUtf32(0x1F600))"
        'quotes'         = "q'`"``$([char]0x2018)$([char]0x2019)$([char]0x201C)$([char]0x201D)"
        'nul'            = "a`0b"
        'empty'          = ''
        'glob'           = '*'
        'space'          = 'a b'
    }
}

# The least each cmdlet needs to run against lab host kvm1 (mandatory parameters, the host), as a
# scriptblock given the test's context ($Ctx: Address, Address2, Guest, Prefix, KeyFile, KnownHosts, Kernel, Initrd).
# Every value here is valid: a hostile value then replaces one parameter at a time.
# Mode: Run = runs for real (reads; creates of networks and guests, removed right after they are checked;
# removes and lifecycle actions of things that do not exist or of this test's own guest). WhatIf = runs
# with -WhatIf, which still gathers the host's facts, because a real run would change the lab host itself
# or what the other cases need: Install-KvmHost (packages), New-KvmBridge (moves eth0's addressing onto a
# bridge), Remove-KvmGuest (the baseline guest is the target of the other guest cmdlets), Move-KvmGuest
# (a migration to kvm2).
# With: extra valid arguments a parameter needs to be reached at all (e.g. -DhcpRange is checked against
# -IPAddress). Made/Cleanup: how a value that was accepted is checked on the host, and removed.
$script:CmdletBaselines = @{
    'Connect-KvmHost'    = @{ Mode = 'Run'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address; KeyFilePath = $Ctx.KeyFile; KnownHostsPath = $Ctx.KnownHosts; Name = 'hostilecn' } }
        Cleanup = { param($Ctx, $Name, $Value) Get-KvmSession | Where-Object Name -eq 'hostilecn' | Disconnect-KvmHost } }
    'Disconnect-KvmHost' = @{ Mode = 'Run'; Args = { param($Ctx) @{ ComputerName = 'nosuchsession.invalid' } } }
    'Get-KvmSession'     = @{ Mode = 'Run'; Args = { param($Ctx) @{} } }
    'Get-KvmHost'        = @{ Mode = 'Run'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address } } }
    'Test-KvmCapability' = @{ Mode = 'Run'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address; Check = 'KvmModule' } } }
    'Install-KvmHost'    = @{ Mode = 'WhatIf'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address } } }
    'Get-KvmBridge'      = @{ Mode = 'Run'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address } } }
    'New-KvmBridge'      = @{ Mode = 'WhatIf'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address; InterfaceName = 'eth0'; Name = 'br0' } } }
    'Remove-KvmBridge'   = @{ Mode = 'Run'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address; Name = 'nosuchbr0' } } }
    'Get-KvmNetwork'     = @{ Mode = 'Run'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address } } }
    'New-KvmNetwork'     = @{ Mode = 'Run'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address; Name = $Ctx.Prefix + 'net'; Mode = 'Isolated'; NoAutostart = $true } }
        With = @{ DhcpRange = { param($Ctx) @{ IPAddress = '10.77.4.1/24' } } }
        Made = { param($Ctx, $Name, $Value) Test-MadeObject network $(if ($Name -eq 'Name') { $Value } else { $Ctx.Prefix + 'net' }) $Value }
        Cleanup = { param($Ctx, $Name, $Value) Invoke-KvmLabCommand kvm1 'sh', '-c', 'virsh net-destroy -- "$1"; virsh net-undefine -- "$1"; true', 'x', $(if ($Name -eq 'Name') { $Value } else { $Ctx.Prefix + 'net' }) -IgnoreExitCode | Out-Null } }
    'Remove-KvmNetwork'  = @{ Mode = 'Run'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address; Name = 'nosuchnet0' } } }
    'New-KvmGuest'       = @{ Mode = 'Run'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address; Name = $Ctx.Prefix + 'new'; MemoryBytes = 64MB; KernelPath = $Ctx.Kernel } }
        # Parameters that go only with others: their partner from the baseline's valid values.
        With = @{ Spec = { param($Ctx) @{} }; MacAddress = { param($Ctx) @{ Network = 'default' } } }
        Made = { param($Ctx, $Name, $Value) Test-MadeObject domain $(if ($Name -eq 'Name') { $Value } else { $Ctx.Prefix + 'new' }) $Value }
        Cleanup = { param($Ctx, $Name, $Value) Clear-LabGuests kvm1 $(if ($Name -eq 'Name') { $Value } else { $Ctx.Prefix + 'new' }) } }
    'Get-KvmGuest'       = @{ Mode = 'Run'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address } } }
    'Start-KvmGuest'     = @{ Mode = 'Run'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address; Name = $Ctx.Guest } } }
    'Stop-KvmGuest'      = @{ Mode = 'Run'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address; Name = $Ctx.Guest; Force = $true } } }
    'Restart-KvmGuest'   = @{ Mode = 'Run'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address; Name = $Ctx.Guest; Force = $true } } }
    'Suspend-KvmGuest'   = @{ Mode = 'Run'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address; Name = $Ctx.Guest } } }
    'Resume-KvmGuest'    = @{ Mode = 'Run'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address; Name = $Ctx.Guest } } }
    'Wait-KvmGuest'      = @{ Mode = 'Run'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address; Name = $Ctx.Guest; Timeout = 1 } } }
    'Remove-KvmGuest'    = @{ Mode = 'WhatIf'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address; Name = $Ctx.Guest } } }
    'Test-KvmMigration'  = @{ Mode = 'Run'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address; Name = $Ctx.Guest; Destination = $Ctx.Address2 } } }
    'Move-KvmGuest'      = @{ Mode = 'WhatIf'; Args = { param($Ctx) @{ ComputerName = $Ctx.Address; Name = $Ctx.Guest; Destination = $Ctx.Address2 } } }
}
