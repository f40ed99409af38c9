# The lab world the help's examples run in (see HelpExamples.Tests.ps1), and what each example is checked
# for. Dot-sourced after common.ps1.

$script:FixtureGuests = 'web1', 'web2', 'db1'
$script:Db1Disk = '/var/lib/libvirt/images/db1.qcow2'
$script:Images = '/var/lib/libvirt/images'

#region Reading the lab without KvmPS (so a broken cmdlet cannot make its own example pass)

# name -> state ("running", "shut off", "paused") of a lab host's guests.
function Get-Guests([string]$HostName) {
    $states = @{}
    $lines = Invoke-KvmLabCommand $HostName 'sh', '-c', 'for d in $(virsh list --all --name); do echo "$d $(virsh domstate "$d" | head -1)"; done'
    foreach ($line in $lines) { $n, $st = "$line" -split ' ', 2; if ($n) { $states[$n] = $st } }
    $states
}

function Test-OnHost([string]$HostName, [string]$Script) {
    (Invoke-KvmLabCommand $HostName 'sh', '-c', $Script -IgnoreExitCode -PassThru).ExitCode -eq 0
}

function Test-Bridge([string]$HostName, [string]$Bridge, [string]$Port) {
    Test-OnHost $HostName "[ -e /sys/class/net/$Bridge/bridge ] && [ -e /sys/class/net/$Bridge/brif/$Port ]"
}

function Test-Network([string]$HostName, [string]$Name) { Test-OnHost $HostName "virsh net-info $Name >/dev/null 2>&1" }

#endregion

#region Setting the lab up

function Initialize-ExampleLab {
    $null = Start-KvmLab -HostCount 3
    $script:Lab = Get-KvmLab
    $null = Initialize-TinyGuest
    # ~/.ssh as an admin's: the lab's key (and its public half, for -SshPublicKey) and known_hosts.
    $script:SavedHome = $env:HOME, (Get-PSProvider FileSystem).Home
    $script:ExampleHome = New-LabHome -Lab $Lab
    & ssh-keygen -y -f "$ExampleHome/.ssh/id_ed25519" > "$ExampleHome/.ssh/id_ed25519.pub"
    $env:HOME = $ExampleHome
    (Get-PSProvider FileSystem).Home = $ExampleHome
    $script:WorkDir = Join-Path $ExampleHome 'work'
    $null = New-Item -ItemType Directory $WorkDir
    # A second NIC on kvm1 for the bridge on eth1 (New-KvmBridge): a veth end, as the bridge tests use.
    Invoke-KvmLabCommand kvm1 'sh', '-c', '[ -e /sys/class/net/eth1 ] || { ip link add eth1 type veth peer name eth1p && ip link set eth1p up; }' | Out-Null
}

function Clear-ExampleLab {
    Disconnect-KvmHost -All
    foreach ($i in 0..2) {
        $null = Reset-HostGuests "kvm$($i + 1)"
        Reset-LabNetwork $Lab -Index $i -Bridge br0, br1
    }
    Invoke-KvmLabCommand kvm1 'sh', '-c', 'ip link del eth1 2>/dev/null; true' | Out-Null
    $env:HOME, (Get-PSProvider FileSystem).Home = $SavedHome
    Remove-Item -Recurse -Force $ExampleHome -ErrorAction SilentlyContinue
}

# Leaves only the $Keep guests on a host (and only their disks), only the network default, active, and
# the default storage pool. Returns "<name> <state>" for each kept guest the host has.
function Reset-HostGuests([string]$HostName, [string[]]$Keep) {
    $script = @'
keep=" $* "
for d in $(virsh list --all --name); do
    case "$keep" in *" $d "*) continue ;; esac
    virsh destroy "$d" >/dev/null 2>&1
    virsh undefine "$d" --nvram --managed-save >/dev/null 2>&1 || virsh undefine "$d" >/dev/null 2>&1
done
for f in /var/lib/libvirt/images/*; do
    [ -e "$f" ] || continue
    b=$(basename "$f"); case "$keep" in *" ${b%%.*} "*) ;; *) rm -f "$f" ;; esac
done
virsh pool-refresh default >/dev/null 2>&1
for n in $(virsh net-list --all --name); do
    [ "$n" = default ] && continue
    virsh net-destroy "$n" >/dev/null 2>&1; virsh net-undefine "$n" >/dev/null 2>&1
done
virsh net-start default >/dev/null 2>&1
for d in $*; do virsh domstate "$d" 2>/dev/null | head -1 | sed "s/^/$d /"; done
exit 0
'@
    Invoke-KvmLabCommand $HostName (@('sh', '-s', '--') + @($Keep | Where-Object { $_ })) -InputText $script
}

# The examples' guests: web1, web2 and db1 running on kvm1 (db1 with a 16 MiB disk), none elsewhere.
# Guests in place are kept (resumed or started when needed): recreating them costs a boot.
function Reset-Guests([string[]]$Keep) {
    $states = @{}
    foreach ($line in Reset-HostGuests kvm1 $Keep) { $n, $st = "$line" -split ' ', 2; $states[$n] = $st }
    $null = Reset-HostGuests kvm2
    $null = Reset-HostGuests kvm3
    foreach ($name in $Keep) {
        $state = $states[$name]
        if ($state -eq 'paused') { Invoke-KvmLabCommand kvm1 virsh, resume, $name | Out-Null }
        elseif ($state -eq 'shut off') { Invoke-KvmLabCommand kvm1 virsh, start, $name | Out-Null }
        elseif (-not $state) {
            $disk = ''
            if ($name -eq 'db1') {
                Invoke-KvmLabCommand kvm1 qemu-img, create, -q, -f, qcow2, $Db1Disk, 16M | Out-Null
                $disk = "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$Db1Disk'/><target dev='vda' bus='virtio'/></disk>"
            }
            New-TinyLabGuest kvm1 $name -Network default -Devices $disk
        }
        elseif ($state -ne 'running') { throw "fixture guest $name is $state" }
    }
}

# br0 (from eth0, with the host's address, made with iproute2) on kvm1 when $Br0, else no br0 or br1 on
# any host. Changed only when it differs: a reset costs a few round trips.
function Reset-Bridges([bool]$Br0) {
    foreach ($i in 0..2) {
        $h = $Lab.hosts[$i]
        $present = @(Invoke-KvmLabCommand $h.name 'sh', '-c', 'for b in br0 br1; do [ -e /sys/class/net/$b ] && echo $b; done; true')
        $wanted = @(if ($Br0 -and $i -eq 0) { 'br0' })
        if (($present -join ',') -eq ($wanted -join ',')) { continue }
        if ($present) { Reset-LabNetwork $Lab -Index $i -Bridge br0, br1 }
        if ($wanted) {
            $script = 'ip link add br0 type bridge && ip link set br0 up && ip addr flush dev eth0 scope global && ip link set eth0 master br0 && ip addr add "$1/24" dev br0'
            Invoke-KvmLabCommand $h.name 'sh', '-c', $script, 'x', $h.address | Out-Null
        }
    }
}

# Sessions named kvm1..kvm3 to the lab's hosts (an example may have closed them), and no other session.
function Reset-Sessions {
    $keep = foreach ($i in 1..3) {
        $s = Get-KvmSession | Where-Object { $_.Name -eq "kvm$i" -and $_.State -eq 'Opened' } | Select-Object -Last 1
        if (-not $s) { $s = Connect-KvmHost -ComputerName "root@$($Lab.hosts[$i - 1].address)" -Name "kvm$i" }
        $s
    }
    Get-KvmSession | Where-Object { $_ -notin $keep } | Disconnect-KvmHost
}

# Waits until the fixture guests have booted far enough to answer ACPI (a shut-down or reboot request):
# their DHCP lease is the sign.
function Wait-GuestsBooted {
    $null = Wait-KvmGuest -ComputerName kvm1 -Name $FixtureGuests -ForIPAddress -Timeout 120
    # The tiny guest starts acpid a moment after its lease: a request sent before that is lost (run 1:
    # Stop-KvmGuest's first example timed out on a guest started seconds before).
    Start-Sleep -Seconds 5
}

function Reset-ExampleFixture([string]$Page, [string]$Key, [string]$Code) {
    # The pages that create guests start without any, so their examples can use the usual names.
    $names = @(if ($Page -notin 'New-KvmGuest', 'New-KvmBridge') { $FixtureGuests })
    Reset-Guests $names
    Reset-Bridges (($Code -match '\bbr0\b' -or $Page -eq 'Remove-KvmBridge') -and $Page -ne 'New-KvmBridge')
    Reset-Sessions
    Get-ChildItem $WorkDir | Remove-Item -Recurse -Force
    foreach ($hook in $Before[$Page], $Before[$Key]) { if ($hook) { & $hook } }
}

#endregion

#region Running an example

# Runs the code in a new scope in the work folder (with the files it reads), as typed at a prompt.
# Returns its output, what it wrote to the host (What if lines, tables), its errors and its exception.
function Invoke-Example([string]$Code, [hashtable]$Files) {
    foreach ($f in $Files.Keys) { Set-Content -Path (Join-Path $WorkDir $f) -Value $Files[$f] }
    foreach ($i in 1..3) { $Code = $Code -replace "\b192\.0\.2\.1$i\b", $Lab.hosts[$i - 1].address }
    $block = [scriptblock]::Create($Code)
    $transcript = Join-Path ([IO.Path]::GetTempPath()) ("kvmps-example-" + [guid]::NewGuid().ToString('N') + '.txt')
    $result = @{ Output = @(); Exception = $null; Errors = @(); HostText = '' }
    Push-Location $WorkDir
    $null = Start-Transcript -Path $transcript
    $Error.Clear()
    try {
        $result.Output = @(& { $ConfirmPreference = 'None'; & $block })
    }
    catch { $result.Exception = $_ }
    finally {
        $result.Errors = @($Error | Where-Object { $_ -ne $result.Exception })
        $null = Stop-Transcript
        Pop-Location
    }
    # Only what the example wrote: the transcript's header and footer are lines of asterisks and fields.
    $result.HostText = ((Get-Content $transcript) -notmatch '^\*{10,}$|^(PowerShell transcript|Start time|End time|Username|RunAs User|Configuration Name|Machine|Host Application|Process ID|PS(Version|Edition|CompatibleVersions|RemotingProtocolVersion)|GitCommitId|OS|Platform|BuildVersion|CLRVersion|WSManStackVersion|SerializationVersion|Transcript started)' ) -join "`n"
    Remove-Item $transcript -ErrorAction SilentlyContinue
    [pscustomobject]$result
}

# The example's own check when it has one; else it must have written output or What if lines.
function Assert-Example([string]$Key, $Result) {
    if ($Checks[$Key]) { & $Checks[$Key] $Result; return }
    ($Result.Output.Count -gt 0 -or $Result.HostText -match 'What if:') | Should -BeTrue -Because 'the example must show something (or have a check of what it changed)'
}

#endregion

#region Per-example set-up and checks

# What an example (or every example of a page) needs beyond the common fixture.
$script:Before = @{
    'Connect-KvmHost Example 2' = {   # kvm3's key is not known yet: the example is the first connection
        $known = "$ExampleHome/.ssh/known_hosts"
        (Get-Content $known) -notmatch [regex]::Escape($Lab.hosts[2].address) | Set-Content $known
    }
    'Get-KvmGuest Example 5'    = { Wait-GuestsBooted }
    'Install-KvmHost Example 3' = { Invoke-KvmLabCommand kvm3 'sh', '-c', 'virsh pool-destroy default; virsh pool-undefine default; true' | Out-Null }
    'Move-KvmGuest Example 4'   = { Invoke-KvmLabCommand kvm1 virsh, destroy, web2 | Out-Null }
    'New-KvmGuest Example 1'    = { Invoke-KvmLabCommand kvm1 truncate, -s, 4M, "$Images/rhel-9.4-x86_64-dvd.iso" | Out-Null }
    'New-KvmGuest Example 2'    = { Invoke-KvmLabCommand kvm1 qemu-img, create, -q, -f, qcow2, "$Images/rhel-9.4-x86_64-kvm.qcow2", 64M | Out-Null }
    'New-KvmGuest Example 3'    = { Invoke-KvmLabCommand kvm1 truncate, -s, 4M, "$Images/Fedora-Workstation-Live-x86_64-40-1.14.iso" | Out-Null }
    'New-KvmGuest Example 5'    = { Invoke-KvmLabCommand kvm1 truncate, -s, 16M, "$Images/db1.raw" | Out-Null }
    'New-KvmGuest Example 7'    = { Invoke-KvmLabCommand kvm1 qemu-img, create, -q, -f, qcow2, "$Images/rhel-9.4-x86_64-kvm.qcow2", 64M | Out-Null }
    'Remove-KvmGuest Example 1' = { Wait-GuestsBooted }
    'Remove-KvmNetwork'         = {   # the network lab, isolated, to remove
        $xml = "<network><name>lab</name><ip address='192.168.150.1' netmask='255.255.255.0'/></network>"
        Invoke-KvmLabCommand kvm1 'sh', '-c', 'virsh net-define /dev/stdin >/dev/null && virsh net-start lab >/dev/null' -InputText $xml | Out-Null
    }
    'Restart-KvmGuest'          = { Wait-GuestsBooted }
    'Resume-KvmGuest'           = { Invoke-KvmLabCommand kvm1 'sh', '-c', 'virsh suspend web1 && virsh suspend web2' | Out-Null }
    'Start-KvmGuest'            = { Invoke-KvmLabCommand kvm1 'sh', '-c', 'for d in web1 web2 db1; do virsh destroy $d; done' | Out-Null }
    'Stop-KvmGuest'             = { Wait-GuestsBooted }
    'Wait-KvmGuest Example 1'   = { Invoke-KvmLabCommand kvm1 'sh', '-c', 'virsh destroy web1 && virsh destroy web2' | Out-Null }
    'Wait-KvmGuest Example 2'   = { Invoke-KvmLabCommand kvm1 virsh, destroy, web1 | Out-Null }
}

# What an example changed, read on the hosts; for examples whose output alone would prove little.
$script:Checks = @{
    'Connect-KvmHost Example 1'    = { param($r) ($r.Output | Where-Object { $_ -is [KvmPS.KvmSession] }).Name | Should -Be 'kvm1', 'kvm2' }
    'Connect-KvmHost Example 2'    = { param($r)
        $r.Output[0].Name | Should -Be 'kvm3'
        Get-Content -Raw "$ExampleHome/.ssh/known_hosts" | Should -Match ([regex]::Escape($Lab.hosts[2].address)) }
    'Disconnect-KvmHost Example 1' = { param($r) Get-KvmSession | Where-Object { $_.Name -eq 'kvm1' -and $_.State -eq 'Opened' } | Should -BeNullOrEmpty }
    'Disconnect-KvmHost Example 2' = { param($r) $r.Output.State | Sort-Object -Unique | Should -Be 'Closed'; $r.Output.Count | Should -Be 3 }
    'Disconnect-KvmHost Example 3' = { param($r) Get-KvmSession | Where-Object State -eq 'Opened' | Should -BeNullOrEmpty }
    'Get-KvmGuest Example 5'       = { param($r) $g = Get-Guests kvm1; $g.web1, $g.web2 | Should -Be 'shut off', 'shut off'; $r.Output | Should -Not -BeNullOrEmpty }
    'Move-KvmGuest Example 1'      = { param($r) $g = Get-Guests kvm2; $g.web1, $g.web2 | Should -Be 'running', 'running'; $r.Output.Count | Should -Be 2 }
    'Move-KvmGuest Example 2'      = { param($r) $r.HostText | Should -Match '(?s)What if:.*virsh .*migrate'; (Get-Guests kvm1).web1 | Should -Be 'running' }
    'Move-KvmGuest Example 3'      = { param($r)
        (Get-Guests kvm2).db1 | Should -Be 'running'
        Test-OnHost kvm2 "[ -e $Db1Disk ]" | Should -BeTrue
        Test-OnHost kvm1 "[ -e $Db1Disk ]" | Should -BeFalse }
    'Move-KvmGuest Example 4'      = { param($r)
        (Get-Guests kvm1).Count | Should -Be 0
        $g = Get-Guests kvm2; $g.web1, $g.web2, $g.db1 | Should -Be 'running', 'shut off', 'running' }
    'Move-KvmGuest Example 5'      = { param($r) $g = Get-Guests kvm2; $g.web1, $g.web2 | Should -Be 'running', 'running' }
    'Move-KvmGuest Example 6'      = { param($r) (Get-Guests kvm2).db1 | Should -Be 'running' }
    'Move-KvmGuest Example 7'      = { param($r) (Get-Guests kvm2).web1 | Should -Be 'running' }
    'Move-KvmGuest Example 8'      = { param($r) $g = Get-Guests kvm3; $g.web1, $g.web2 | Should -Be 'running', 'running'; $r.Output.Count | Should -Be 2 }
    'New-KvmBridge Example 1'      = { param($r) Test-Bridge kvm1 br0 eth0 | Should -BeTrue }
    'New-KvmBridge Example 2'      = { param($r) $r.HostText | Should -Match 'What if:'; Test-OnHost kvm1 '[ -e /sys/class/net/br0 ]' | Should -BeFalse }
    'New-KvmBridge Example 3'      = { param($r) Test-Bridge kvm1 br1 eth1 | Should -BeTrue; $r.Output.IPAddresses | Should -Be '10.0.9.11/24' }
    'New-KvmBridge Example 4'      = { param($r) foreach ($h in 'kvm1', 'kvm2', 'kvm3') { Test-Bridge $h br0 eth0 | Should -BeTrue }; (Get-Guests kvm1).web1 | Should -Be 'running' }
    'New-KvmGuest Example 1'       = { param($r) (Get-Guests kvm1).web1 | Should -Be 'running'; $r.Output.Disks.Path | Should -Contain "$Images/web1.qcow2" }
    'New-KvmGuest Example 2'       = { param($r) (Get-Guests kvm1).web1 | Should -Be 'running'
        Test-OnHost kvm1 "qemu-img info $Images/web1.qcow2 | grep -q 'backing file: .*rhel-9.4-x86_64-kvm.qcow2'" | Should -BeTrue }
    'New-KvmGuest Example 3'       = { param($r) (Get-Guests kvm1).web2 | Should -Be 'running'; Test-OnHost kvm1 'virsh dumpxml web2 | grep -q "<tpm "' | Should -BeTrue }
    'New-KvmGuest Example 5'       = { param($r) (Get-Guests kvm1).db1 | Should -Be 'running'; $r.Output.Autostart | Should -BeTrue }
    'New-KvmGuest Example 6'       = { param($r) $r.HostText | Should -Match "What if:[\s\S]*<domain"; (Get-Guests kvm1).Count | Should -Be 0 }
    'New-KvmGuest Example 7'       = { param($r) $g = Get-Guests kvm1; $g.Keys | Sort-Object | Should -Be 'db1', 'web1' }
    'New-KvmNetwork Example 1'     = { param($r) Test-Network kvm1 lab | Should -BeTrue; $r.Output.Name | Should -Be 'lab' }
    'New-KvmNetwork Example 2'     = { param($r) Test-Network kvm1 backend | Should -BeTrue }
    'New-KvmNetwork Example 3'     = { param($r) $r.HostText | Should -Match 'What if:'; Test-Network kvm1 lab | Should -BeFalse }
    'New-KvmNetwork Example 4'     = { param($r) foreach ($h in 'kvm1', 'kvm2', 'kvm3') { Test-Network $h backend | Should -BeTrue } }
    'Remove-KvmBridge Example 1'   = { param($r) Test-OnHost kvm1 '[ ! -e /sys/class/net/br0 ] && ip -4 addr show dev eth0 | grep -q inet' | Should -BeTrue }
    'Remove-KvmBridge Example 2'   = { param($r) $r.HostText | Should -Match 'What if:'; Test-Bridge kvm1 br0 eth0 | Should -BeTrue }
    'Remove-KvmBridge Example 3'   = { param($r) Test-OnHost kvm1 '[ ! -e /sys/class/net/br0 ] && [ -e /sys/class/net/virbr0 ]' | Should -BeTrue }
    'Remove-KvmGuest Example 1'    = { param($r) (Get-Guests kvm1).Keys | Sort-Object | Should -Be 'db1', 'web2' }
    'Remove-KvmGuest Example 2'    = { param($r) (Get-Guests kvm1).Keys | Should -Be 'db1' }
    'Remove-KvmGuest Example 3'    = { param($r) $r.HostText | Should -Match 'What if:'; (Get-Guests kvm1).Count | Should -Be 3 }
    'Remove-KvmGuest Example 4'    = { param($r) (Get-Guests kvm1).Keys | Sort-Object | Should -Be 'web1', 'web2'; Test-OnHost kvm1 "[ -e $Db1Disk ]" | Should -BeFalse }
    'Remove-KvmNetwork Example 1'  = { param($r) Test-Network kvm1 lab | Should -BeFalse }
    'Remove-KvmNetwork Example 2'  = { param($r) Test-Network kvm1 lab | Should -BeFalse; Test-Network kvm1 default | Should -BeTrue }
    'Remove-KvmNetwork Example 3'  = { param($r) $r.HostText | Should -Match 'What if:'; Test-Network kvm1 lab | Should -BeTrue }
    'Restart-KvmGuest Example 1'   = { param($r) (Get-Guests kvm1).web1 | Should -Be 'running' }
    'Restart-KvmGuest Example 3'   = { param($r) $g = Get-Guests kvm1; $g.web1, $g.web2 | Should -Be 'running', 'running' }
    'Resume-KvmGuest Example 1'    = { param($r) (Get-Guests kvm1).web1 | Should -Be 'running' }
    'Resume-KvmGuest Example 2'    = { param($r) $r.Output.Name | Sort-Object | Should -Be 'web1', 'web2'; (Get-Guests kvm1).web2 | Should -Be 'running' }
    'Resume-KvmGuest Example 3'    = { param($r) (Get-Guests kvm1).db1 | Should -Be 'running' }
    'Start-KvmGuest Example 1'     = { param($r) (Get-Guests kvm1).web1 | Should -Be 'running' }
    'Start-KvmGuest Example 3'     = { param($r) $r.Output.Count | Should -Be 2; $r.Output.IPAddresses | Should -Not -BeNullOrEmpty }
    'Stop-KvmGuest Example 1'      = { param($r) (Get-Guests kvm1).web1 | Should -Be 'shut off' }
    'Stop-KvmGuest Example 3'      = { param($r) (Get-Guests kvm1).db1 | Should -Be 'shut off' }
    'Stop-KvmGuest Example 4'      = { param($r) (Get-Guests kvm1).Values | Sort-Object -Unique | Should -Be 'shut off'; $r.Output.Count | Should -Be 3 }
    'Suspend-KvmGuest Example 1'   = { param($r) (Get-Guests kvm1).web1 | Should -Be 'paused' }
    'Suspend-KvmGuest Example 2'   = { param($r) $g = Get-Guests kvm1; $g.web1, $g.web2 | Should -Be 'running', 'running' }
    'Test-KvmCapability Example 3' = { param($r) (Import-Csv (Join-Path $WorkDir 'kvm-capability.csv')).ComputerName | Sort-Object -Unique | Should -HaveCount 3 }
    'Test-KvmMigration Example 4'  = { param($r) (Get-Guests kvm2).web1 | Should -Be 'running' }
    'Wait-KvmGuest Example 2'      = { param($r) $r.Output.State | Should -Be 'ShutOff' }
}

#endregion
