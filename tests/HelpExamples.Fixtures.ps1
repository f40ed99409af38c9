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

# How often a lab guest has booted: the tiny guest writes "kvmps-tiny: ready" to its serial log each time.
function Get-BootCount([string]$HostName, [string]$Guest) {
    [int](Invoke-KvmLabCommand $HostName 'sh', '-c', 'grep -ac "kvmps-tiny: ready" "/var/log/libvirt/qemu/$1-serial.log" || true', sh, $Guest)
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

# The fixture guests carry this title: a guest of the same name made by an example is not one of them.
$script:FixtureTitle = 'kvmps-help-fixture'
# Kernel arguments that make the tiny guest boot faster under TCG (7.5 s -> 5.3 s to "ready" on this
# machine): no delay-loop calibration, no i8042 probing, one UART, no crypto self-tests.
$script:FastBoot = 'no_timer_check lpj=4000000 i8042.noaux i8042.nokbd i8042.nopnp 8250.nr_uarts=1 cryptomgr.notests nokaslr mitigations=off random.trust_cpu=on'

function Initialize-ExampleLab {
    $null = Start-KvmLab -HostCount 3
    $script:Lab = Get-KvmLab
    $null = Initialize-TinyGuest
    # The fixture guests' domain XML, made once: web1, web2 and db1 (db1 with a 16 MiB disk).
    $script:FixtureXml = foreach ($name in $FixtureGuests) {
        $xml = (& bash (Join-Path $PSScriptRoot 'lab/tiny-guest.sh') xml --name $name --network default --memory 96 --cmdline-extra $FastBoot) -join "`n"
        if ($LASTEXITCODE -ne 0) { throw "tiny-guest.sh xml failed for $name" }
        $disk = if ($name -eq 'db1') { "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$Db1Disk'/><target dev='vda' bus='virtio'/></disk>" }
        $xml.Replace("<name>$name</name>", "<name>$name</name><title>$FixtureTitle</title>").Replace('</devices>', "$disk</devices>")
    }
    # What each host was left as by the last reset (see Reset-World): nothing known yet.
    $script:World = @{}
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
    $script:World = @{}
    Reset-World -Guests None -Br0 $false
    foreach ($i in 0..2) { Reset-LabNetwork $Lab -Index $i -Bridge br0, br1 }
    Invoke-KvmLabCommand kvm1 'sh', '-c', 'ip link del eth1 2>/dev/null; true' | Out-Null
    $env:HOME, (Get-PSProvider FileSystem).Home = $SavedHome
    Remove-Item -Recurse -Force $ExampleHome -ErrorAction SilentlyContinue
}

# Runs one sh script on several lab hosts at once (one lab.sh process per host, in parallel); the
# arguments of each host come from $ArgsOf (a scriptblock given the host's index). Returns host -> stdout
# lines; throws with the host's stderr when the script fails there.
function Invoke-OnLabHosts([string]$Script, [int[]]$Index, [scriptblock]$ArgsOf) {
    $procs = foreach ($i in $Index) {
        $psi = [System.Diagnostics.ProcessStartInfo]::new('bash')
        # The script on stdin, not in argv: it names what it may kill (pgrep -f).
        foreach ($a in @($Lab.labScript, 'exec', $Lab.hosts[$i].name, 'sh', '-s', '--') + @(& $ArgsOf $i)) { $psi.ArgumentList.Add([string]$a) }
        $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.RedirectStandardInput = $true; $psi.UseShellExecute = $false
        $p = [System.Diagnostics.Process]::Start($psi)
        $p.StandardInput.Write($Script); $p.StandardInput.Close()
        @{ Host = $Lab.hosts[$i].name; Process = $p; Out = $p.StandardOutput.ReadToEndAsync(); Err = $p.StandardError.ReadToEndAsync() }
    }
    $result = @{}
    foreach ($p in $procs) {
        if (-not $p.Process.WaitForExit(300000)) { $p.Process.Kill($true); throw "[$($p.Host)] fixture script timed out" }
        $p.Process.WaitForExit()
        if ($p.Process.ExitCode -ne 0) { throw "[$($p.Host)] fixture script exited with $($p.Process.ExitCode): $($p.Err.Result)" }
        $result[$p.Host] = @($p.Out.Result.TrimEnd("`n") -split "`n")
    }
    $result
}

# Puts one host in the examples' world, unless it is in it already (a cheap fingerprint of the host says
# so): guests (mode fixture: web1, web2 and db1 running, db1 with its disk, on kvm1 only; stopped: the
# same, shut off; none: no guest; any: guests as they are), only the network default, active, and br0 from eth0 with the host's address
# when wanted, else no br0 or br1. Guests in place are kept (resumed or started when needed): recreating
# them costs a boot; the missing ones are made by one virsh process.
# Arguments: mode, br0 (yes/no), address, expected guest fingerprint ("*": any), expected network
# fingerprint, then the fixture guests' XML. Prints "same|reset <guest fp> <network fp>", then the states.
$script:WorldScript = @'
mode=$1 br0=$2 addr=$3 expg=$4 expn=$5; shift 5
title=kvmps-help-fixture
images=/var/lib/libvirt/images
# guests: "id name state title" and the disk files; network: networks, links (not guests' taps),
# addresses, bridge changes in progress
gfp() { { virsh list --all --title; ls -A $images; } 2>&1 | md5sum | cut -c1-16; }
nfp() { { virsh net-list --all; ls /sys/class/net | grep -v '^vnet'; ip -o -4 addr show scope global | awk '{print $2, $4}'; ls -d /var/run/kvmps-bridge-* 2>/dev/null; } 2>&1 | md5sum | cut -c1-16; }
g=$(gfp) n=$(nfp)
if { [ "$expg" = "*" ] || [ "$expg" = "$g" ]; } && [ "$expn" = "$n" ]; then echo "same $g $n"; exit 0; fi
if [ "$expn" != "$n" ]; then
    me=$(readlink /proc/self/ns/net)
    for p in $(pgrep -f "[k]vmps-bridge-"); do [ "$(readlink /proc/$p/ns/net)" = "$me" ] && kill "$p"; done
    rm -rf /var/run/kvmps-bridge-*
    for n_ in $(virsh net-list --all --name); do
        [ "$n_" = default ] && continue
        virsh net-destroy "$n_" >/dev/null 2>&1; virsh net-undefine "$n_" >/dev/null 2>&1
    done
    virsh net-start default >/dev/null 2>&1
    have=$(for b in br0 br1; do [ -e /sys/class/net/$b ] && echo $b; done)
    want=$([ "$br0" = yes ] && echo br0)
    if [ "$have" != "$want" ] || ! ip -o -4 addr show | grep -q " $addr/24"; then
        for b in br0 br1; do ip link del dev "$b" 2>/dev/null; done
        ip link set dev eth0 nomaster 2>/dev/null
        ip addr flush dev eth0 scope global
        ip route del default 2>/dev/null
        if [ "$br0" = yes ]; then
            ip link add br0 type bridge && ip link set br0 up && ip link set eth0 master br0 && ip addr add "$addr/24" dev br0 || exit 1
        else
            ip addr add "$addr/24" dev eth0 && ip link set dev eth0 up || exit 1
        fi
    fi
fi
if [ "$expg" != "*" ] && [ "$expg" != "$g" ]; then
    # the fixture guests this host keeps (mode fixture: the XML of each is an argument)
    keep=" "
    if [ "$mode" = fixture ] || [ "$mode" = stopped ]; then
        for x in "$@"; do keep="$keep$(echo "$x" | sed -n 's:.*<name>\(.*\)</name>.*:\1:p' | head -1) "; done
    fi
    virsh list --all --title | awk 'NR > 2 && NF { print $2, $NF }' > /tmp/kvmps-fx.list
    gone=""
    while read -r d t; do
        case "$keep" in *" $d "*) [ "$t" = "$title" ] && continue ;; esac
        gone="$gone $d"
    done < /tmp/kvmps-fx.list
    # in parallel: a TCG guest takes a moment to die (UEFI guests need --nvram; some libvirts refuse it)
    for d in $gone; do virsh "destroy $d; undefine $d --nvram --managed-save" >/dev/null 2>&1 & done; wait
    for d in $gone; do virsh domstate "$d" >/dev/null 2>&1 && virsh undefine "$d" >/dev/null 2>&1; done
    for f in $images/* $images/.[!.]*; do
        [ -e "$f" ] || continue
        b=$(basename "$f")
        case "$keep" in *" db1 "*) [ "$b" = db1.qcow2 ] && virsh domstate db1 >/dev/null 2>&1 && continue ;; esac
        rm -rf "$f"
    done
    virsh pool-refresh default >/dev/null 2>&1
    cmds=""
    for x in "$@"; do
        d=$(echo "$x" | sed -n 's:.*<name>\(.*\)</name>.*:\1:p' | head -1)
        st=$(virsh domstate "$d" 2>/dev/null | head -1)
        if [ "$mode" = stopped ]; then
            case $st in "shut off") ;; running|paused) cmds="$cmds destroy $d;" ;; esac
        else
            case $st in running) ;; paused) cmds="$cmds resume $d;" ;; "shut off") cmds="$cmds start $d;" ;; esac
        fi
        if [ -z "$st" ]; then
            mkdir -p /tmp/kvmps-fx; echo "$x" > /tmp/kvmps-fx/$d.xml
            [ "$d" = db1 ] && { qemu-img create -q -f qcow2 $images/db1.qcow2 16M || exit 1; }
            cmds="$cmds define /tmp/kvmps-fx/$d.xml;"
            [ "$mode" = stopped ] || cmds="$cmds start $d;"
        fi
    done
    [ -z "$cmds" ] || virsh "$cmds" >/dev/null || exit 1
fi
echo "reset $(gfp) $(nfp)"
for x in "$@"; do d=$(echo "$x" | sed -n 's:.*<name>\(.*\)</name>.*:\1:p' | head -1); echo "$d $(virsh domstate "$d" 2>&1 | head -1)"; done
exit 0
'@

# Puts every lab host in the examples' world (see $WorldScript), in parallel; hosts already in it are
# left alone. -Guests Fixture: web1, web2, db1 running on kvm1; Stopped: the same, shut off; None: no guests;
# Any: guests as they are.
function Reset-World([ValidateSet('Fixture', 'Stopped', 'None', 'Any')][string]$Guests, [bool]$Br0) {
    $out = Invoke-OnLabHosts -Script $WorldScript -Index 0, 1, 2 -ArgsOf {
        param($i)
        $h = $Lab.hosts[$i].name
        $mode = if ($Guests -in 'Fixture', 'Stopped' -and $i -ne 0) { 'None' } else { $Guests }
        $br = $Br0 -and $i -eq 0
        $last = $World[$h]
        $expg = if ($mode -eq 'Any') { '*' } elseif ($last -and $last.Mode -eq $mode) { $last.G } else { 'unknown' }
        $expn = if ($last -and $last.Br0 -eq $br) { $last.N } else { 'unknown' }
        $mode.ToLowerInvariant(), $(if ($br) { 'yes' } else { 'no' }), $Lab.hosts[$i].address, $expg, $expn
        if ($mode -in 'Fixture', 'Stopped') { $FixtureXml }
    }
    foreach ($i in 0..2) {
        $h = $Lab.hosts[$i].name
        $verdict, $g, $n = $out[$h][0] -split ' '
        $mode = if ($Guests -in 'Fixture', 'Stopped' -and $i -ne 0) { 'None' } else { $Guests }
        if ($mode -eq 'Any') { $g = $World[$h].G; $mode = $World[$h].Mode }
        $script:World[$h] = @{ Mode = $mode; G = $g; N = $n; Br0 = ($Br0 -and $i -eq 0) }
        foreach ($line in $out[$h] | Select-Object -Skip 1) {
            if ($line -notmatch $(if ($mode -eq 'Stopped') { ' shut off$' } else { ' running$' })) { throw "fixture guest on ${h}: $line" }
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
# the tiny guest prints "ready" on its serial console after it started acpid; the last of its "ready",
# "power button" and "shutting down" lines tells whether it is up or on its way down.
# Only the fixture guests the example names (web1, web*, db*...): the others may still be booting.
function Wait-GuestsBooted {
    $names = @($FixtureGuests | Where-Object { $Code -match "\b$_\b" -or $Code -match "\b$($_ -replace '\d+$', '')\*" })
    if (-not $names) { return }
    $script = @'
for i in $(seq 1 600); do
    ok=1
    for d in "$@"; do
        last=$(grep -aoE 'kvmps-tiny: (ready|power button|shutting down)' /var/log/libvirt/qemu/$d-serial.log 2>/dev/null | tail -1)
        [ "$last" = "kvmps-tiny: ready" ] || ok=0
    done
    [ $ok = 1 ] && exit 0
    sleep 0.2
done
echo "not booted after 120 s: $*" >&2; exit 1
'@
    Invoke-KvmLabCommand kvm1 (@('sh', '-c', $script, 'kvmps-wait') + $names) | Out-Null
}

# The pages whose examples need no guests (neither the fixture's nor none): they run among whatever guests
# there are, so no guest is made or removed for them.
$script:AnyGuestsPages = 'Connect-KvmHost', 'Disconnect-KvmHost', 'Get-KvmHost', 'Get-KvmNetwork', 'Get-KvmSession',
'Install-KvmHost', 'New-KvmNetwork', 'Remove-KvmNetwork', 'Test-KvmCapability'

function Reset-ExampleFixture([string]$Page, [string]$Key, [string]$Code) {
    # The pages that create guests start without any, so their examples can use the usual names.
    $guests = if ($Page -in 'New-KvmGuest', 'New-KvmBridge') { 'None' } elseif ($Page -eq 'Start-KvmGuest') { 'Stopped' } elseif ($Page -in $AnyGuestsPages) { 'Any' } else { 'Fixture' }
    Reset-World -Guests $guests -Br0 (($Code -match '\bbr0\b' -or $Page -eq 'Remove-KvmBridge') -and $Page -ne 'New-KvmBridge')
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
    'Install-KvmHost'           = {   # hosts as lab.sh makes them: no default storage pool, network default not autostarted
        Invoke-OnLabHosts -Index 0, 1, 2 -ArgsOf { } -Script 'virsh pool-destroy default; virsh pool-undefine default; virsh net-autostart --disable default; true' | Out-Null }
    'Install-KvmHost Example 3' = {   # kvm1 and kvm2 have their default pool, kvm3 has none
        foreach ($h in 'kvm1', 'kvm2') { Invoke-KvmLabCommand $h 'sh', '-c', 'virsh pool-info default >/dev/null 2>&1 || { virsh pool-define-as default dir --target /var/lib/libvirt/images && virsh pool-start default; }; virsh pool-autostart default' | Out-Null }
        Invoke-KvmLabCommand kvm3 'sh', '-c', 'virsh pool-destroy default; virsh pool-undefine default; true' | Out-Null }
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
    'Restart-KvmGuest Example 1' = { $script:BootsBefore = Get-BootCount kvm1 web1 }
    'Resume-KvmGuest'           = { Invoke-KvmLabCommand kvm1 'sh', '-c', 'virsh suspend web1 && virsh suspend web2' | Out-Null }
    'Stop-KvmGuest'             = { Wait-GuestsBooted }
    'Suspend-KvmGuest Example 2' = {   # running guests that were never paused, so that "unpaused" proves the example did it
        Invoke-KvmLabCommand kvm1 'sh', '-c', 'for d in web1 web2; do virsh domstate $d --reason | grep -q unpaused && { virsh destroy $d; virsh start $d; }; done; true' | Out-Null
    }
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
    'Install-KvmHost Example 3'    = { param($r)   # kvm3 only (its pool was removed): not kvm1 or kvm2, and not this machine
        ($r.Output | Where-Object { $_ -is [KvmPS.KvmCapabilitySummary] }).ComputerName | Should -Be "root@$($Lab.hosts[2].address)"
        Test-OnHost kvm3 'virsh pool-info default | grep -q "^State: *running"' | Should -BeTrue }
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
        Test-OnHost kvm1 "qemu-img info -U $Images/web1.qcow2 | grep -q 'backing file: .*rhel-9.4-x86_64-kvm.qcow2'" | Should -BeTrue }
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
    'Restart-KvmGuest Example 1'   = { param($r)   # the guest booted once more: its serial log says ready again
        $deadline = [DateTime]::UtcNow.AddSeconds(120)
        while ((Get-BootCount kvm1 web1) -le $BootsBefore -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 500 }
        Get-BootCount kvm1 web1 | Should -BeGreaterThan $BootsBefore
        (Get-Guests kvm1).web1 | Should -Be 'running' }
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
    'Suspend-KvmGuest Example 2'   = { param($r)   # paused and resumed again: libvirt's reason for running says so
        foreach ($d in 'web1', 'web2') { Invoke-KvmLabCommand kvm1 virsh, domstate, $d, --reason | Where-Object { $_ } | Should -Be 'running (unpaused)' } }
    'Test-KvmCapability Example 3' = { param($r) (Import-Csv (Join-Path $WorkDir 'kvm-capability.csv')).ComputerName | Sort-Object -Unique | Should -HaveCount 3 }
    'Test-KvmMigration Example 4'  = { param($r) (Get-Guests kvm2).web1 | Should -Be 'running' }
    'Wait-KvmGuest Example 2'      = { param($r) $r.Output.State | Should -Be 'ShutOff' }
}

#endregion
