BeforeDiscovery {
    . "$PSScriptRoot/common.ps1"
    $script:LabSkip = Get-LabSkipAnnounced
}

BeforeAll {
    . "$PSScriptRoot/common.ps1"
    Import-KvmPSUnderTest
}

Describe 'New-KvmGuest on a lab host' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $null = Start-KvmLab -HostCount 1
        $script:Lab = Get-KvmLab
        $script:S = Connect-LabHost $Lab
        $script:P = New-GuestPrefix 'new'
        $script:Images = '/var/lib/libvirt/images'
        Invoke-KvmLabCommand kvm1 virsh, net-start, default -IgnoreExitCode | Out-Null
        # Fixtures on the host: a base image, a disk to import, an ISO, a bridge.
        Invoke-KvmLabCommand kvm1 'sh', '-c', "mkdir -p /srv/kvmps && qemu-img create -f qcow2 /srv/kvmps/${P}base.qcow2 24M >/dev/null && qemu-img create -f raw /srv/kvmps/${P}import.raw 8M >/dev/null && mkdir -p /tmp/iso && echo hi > /tmp/iso/readme && genisoimage -quiet -o /srv/kvmps/${P}install.iso /tmp/iso && (ip link show ${P}br >/dev/null 2>&1 || ip link add ${P}br type bridge) && ip link set ${P}br up" | Out-Null
        function script:Guest($Name) { Get-KvmGuest -Session $S -Name $Name -ErrorAction SilentlyContinue }
        function script:Volumes { Invoke-KvmLabCommand kvm1 ls, $Images | Where-Object { $_ -like "$P*" } }
        function script:New([hashtable]$Parameters) { New-KvmGuest -Session $S -MemoryBytes 64MB -WarningAction SilentlyContinue -PassThru @Parameters }
    }

    AfterAll {
        Disconnect-KvmHost -All
        Clear-LabGuests kvm1 $P
        Invoke-KvmLabCommand kvm1 'sh', '-c', "rm -rf /srv/kvmps/$P*; ip link del ${P}br 2>/dev/null; true" | Out-Null
    }

    It 'creates a guest with a new blank qcow2 disk in the default pool' {
        $g = New @{ Name = "${P}blank"; DiskSizeBytes = 32MB; ProcessorCount = 2 }
        $g.State | Should -Be 'ShutOff'
        $g.ProcessorCount | Should -Be 2
        $g.MemoryBytes | Should -Be 64MB
        $g.Disks[0].Path | Should -Be "$Images/${P}blank.qcow2"
        $g.Disks[0].Format | Should -Be 'qcow2'
        $g.Disks[0].CapacityBytes | Should -Be 32MB
        (Invoke-KvmLabCommand kvm1 virsh, vol-info, --pool, default, "${P}blank.qcow2") -join "`n" | Should -Match 'Capacity:\s+32\.00 MiB'
    }

    It 'makes a thin clone: a qcow2 overlay backed by the base image' {
        $g = New @{ Name = "${P}thin"; BaseImage = "/srv/kvmps/${P}base.qcow2" }
        $g.Disks[0].CapacityBytes | Should -Be 24MB
        $info = (Invoke-KvmLabCommand kvm1 qemu-img, info, -U, "$Images/${P}thin.qcow2") -join "`n"
        $info | Should -Match "backing file: /srv/kvmps/${P}base\.qcow2"
    }

    It 'makes a full clone: a copy with no backing file, grown to -DiskSizeBytes' {
        $g = New @{ Name = "${P}full"; BaseImage = "/srv/kvmps/${P}base.qcow2"; FullClone = $true; DiskSizeBytes = 40MB }
        $info = (Invoke-KvmLabCommand kvm1 qemu-img, info, -U, "$Images/${P}full.qcow2") -join "`n"
        $info | Should -Not -Match 'backing file'
        $g.Disks[0].CapacityBytes | Should -Be 40MB
    }

    It 'boots an imported disk as it is, without copying it' {
        $g = New @{ Name = "${P}imp"; ImportDisk = "/srv/kvmps/${P}import.raw" }
        $g.Disks[0].Path | Should -Be "/srv/kvmps/${P}import.raw"
        $g.Disks[0].Format | Should -Be 'raw'
        Volumes | Should -Not -Contain "${P}imp.qcow2"
    }

    It 'attaches an ISO as a CD-ROM booted after the new disk, with data disks, on a network and a bridge with fixed MACs' {
        $g = New @{ Name = "${P}iso"; DiskSizeBytes = 16MB; IsoPath = "/srv/kvmps/${P}install.iso"; DataDiskSizeBytes = 8MB, 4MB
            Network = 'default'; Bridge = "${P}br"; MacAddress = '52:54:00:aa:00:01', '52:54:00:AA:00:02' }
        $g.Disks.Target | Should -Be @('vda', 'vdb', 'vdc', 'sda')
        ($g.Disks | Where-Object Device -eq 'cdrom').Path | Should -Be "/srv/kvmps/${P}install.iso"
        $g.NetworkAdapters | ForEach-Object { "$($_.Type):$($_.Source):$($_.MacAddress)" } | Should -Be @('network:default:52:54:00:aa:00:01', "bridge:${P}br:52:54:00:aa:00:02")
        $xml = (Invoke-KvmLabCommand kvm1 virsh, dumpxml, "${P}iso") -join "`n"
        # The blank disk falls through to the installer; once installed, the guest boots its disk.
        $xml.IndexOf("<boot dev='hd'/>") | Should -BeGreaterThan 0
        $xml.IndexOf("<boot dev='hd'/>") | Should -BeLessThan $xml.IndexOf("<boot dev='cdrom'/>")
        @([regex]::Matches($xml, "model='pcie-root-port'")).Count | Should -BeGreaterOrEqual 14
        $xml | Should -Match "<graphics type='vnc' port='-1' autoport='yes' listen='127\.0\.0\.1'>"
        $xml | Should -Match "<console type='pty'>"
    }

    It 'builds a cloud-init seed with the user, key and a password hash, never the password' {
        $key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKvmpsTestKeyOnlyForTests kvmps@test'
        $secret = ConvertTo-SecureString 'Plain-Text-Never-1' -AsPlainText -Force
        $g = New @{ Name = "${P}ci"; DiskSizeBytes = 16MB; CloudInitUser = 'admin'; SshPublicKey = $key; Password = $secret }
        $seed = "$Images/${P}ci-seed.iso"
        ($g.Disks | Where-Object Device -eq 'cdrom').Path | Should -Be $seed
        (Invoke-KvmLabCommand kvm1 isoinfo, -d, -i, $seed) -join "`n" | Should -Match 'Volume id: cidata'
        $userData = (Invoke-KvmLabCommand kvm1 isoinfo, -i, $seed, -J, -x, /user-data) -join "`n"
        $userData | Should -Match '^#cloud-config'
        $userData | Should -Match 'name: admin'
        $userData | Should -Match ([regex]::Escape($key))
        $userData | Should -Match '\$6\$'
        $userData | Should -Not -Match 'Plain-Text-Never-1'
        (Invoke-KvmLabCommand kvm1 isoinfo, -i, $seed, -J, -x, /meta-data) -join "`n" | Should -Match "local-hostname: `"${P}ci`""
        Invoke-KvmLabCommand kvm1 'sh', '-c', "ls -a $Images | grep -c kvmps-seed || true" | Should -Be '0'
    }

    It 'builds the seed here and uploads it when the host has no ISO tool' {
        # The lab host has its own mount namespace: hide its ISO tools there only (mkisofs is a link to genisoimage).
        Invoke-KvmLabCommand kvm1 'sh', '-c', 'for t in genisoimage xorriso; do p=$(command -v $t) && mount --bind /dev/null "$p"; done; command -v genisoimage mkisofs xorriso cloud-localds; true' | Should -BeNullOrEmpty
        try {
            $g = New @{ Name = "${P}ci2"; DiskSizeBytes = 16MB; CloudInitUser = 'admin'; SshPublicKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKvmpsTestKeyOnlyForTests kvmps@seedhere' }
        }
        finally {
            Invoke-KvmLabCommand kvm1 'sh', '-c', 'umount /usr/bin/genisoimage /usr/bin/xorriso' | Out-Null
        }
        $seed = "$Images/${P}ci2-seed.iso"
        ($g.Disks | Where-Object Device -eq 'cdrom').Path | Should -Be $seed
        (Invoke-KvmLabCommand kvm1 isoinfo, -d, -i, $seed) -join "`n" | Should -Match 'Volume id: cidata'
        (Invoke-KvmLabCommand kvm1 isoinfo, -i, $seed, -J, -x, /user-data) -join "`n" | Should -Match '(?s)^#cloud-config.*name: admin.*kvmps@seedhere'
        (Invoke-KvmLabCommand kvm1 isoinfo, -i, $seed, -J, -x, /meta-data) -join "`n" | Should -Match "local-hostname: `"${P}ci2`""
        Invoke-KvmLabCommand kvm1 stat, -c, '%a', $seed | Should -Be '600'
        (Invoke-KvmLabCommand kvm1 virsh, vol-list, default) -join "`n" | Should -Match "${P}ci2-seed\.iso"
    }

    It 'shows every command and the domain XML with -WhatIf, and changes nothing' {
        $transcript = Join-Path ([IO.Path]::GetTempPath()) ("kvmps-whatif-" + [guid]::NewGuid().ToString('N') + '.txt')
        $null = Start-Transcript -Path $transcript
        try { New-KvmGuest -Session $S -Name "${P}whatif" -MemoryBytes 64MB -DiskSizeBytes 16MB -Network default -Start -WhatIf -WarningAction SilentlyContinue }
        finally { $null = Stop-Transcript }
        $text = Get-Content -Raw $transcript
        Remove-Item $transcript
        $text | Should -Match "vol-create-as default ${P}whatif\.qcow2 16777216 --format qcow2"
        $text | Should -Match 'virsh -c qemu:///system define /dev/stdin'
        $text | Should -Match "<name>${P}whatif</name>"
        Guest "${P}whatif" | Should -BeNullOrEmpty
        Volumes | Should -Not -Contain "${P}whatif.qcow2"
    }

    It 'refuses a name that exists and touches nothing' {
        $before = (Guest "${P}blank").Uuid
        New-KvmGuest -Session $S -Name "${P}blank" -MemoryBytes 64MB -DiskSizeBytes 8MB -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'GuestExists,*'
        (Guest "${P}blank").Uuid | Should -Be $before
        (Invoke-KvmLabCommand kvm1 virsh, vol-info, --pool, default, "${P}blank.qcow2") -join "`n" | Should -Match 'Capacity:\s+32\.00 MiB'
    }

    It 'refuses a missing <Kind> and lists what the host has' -ForEach @(
        @{ Kind = 'bridge'; Parameters = @{ Bridge = 'nosuch-br' }; Id = 'BridgeNotFound' }
        @{ Kind = 'network'; Parameters = @{ Network = 'nosuch-net' }; Id = 'NetworkNotFound' }
    ) {
        $parameters = @{ Name = "${P}missing"; DiskSizeBytes = 8MB } + $Parameters
        New-KvmGuest -Session $S -MemoryBytes 64MB @parameters -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $failed[0].Exception.Message | Should -Match 'It has: '
        Guest "${P}missing" | Should -BeNullOrEmpty
        Volumes | Should -Not -Contain "${P}missing.qcow2"
    }

    # The lab has Debian's ovmf: 40-...-secure-enrolled, 50-...-secure and 60-edk2-x86_64 descriptors.
    It 'starts a UEFI guest on the plain OVMF build, Secure Boot off' {
        $g = New @{ Name = "${P}uefi"; DiskSizeBytes = 8MB; Firmware = 'Uefi'; Start = $true }
        $g.Firmware | Should -Be 'Uefi'
        $g.State | Should -Be 'Running'
        $xml = (Invoke-KvmLabCommand kvm1 virsh, dumpxml, "${P}uefi") -join "`n"
        $xml | Should -Match "<loader[^>]*>/usr/share/OVMF/OVMF_CODE(_4M)?\.fd</loader>"
        $xml | Should -Not -Match "secure='yes'"
        $xml | Should -Match "<nvram[^>]*>/var/lib/libvirt/qemu/nvram/${P}uefi_VARS\.fd</nvram>"
    }

    It 'starts a Secure Boot guest with keys enrolled, SMM on' {
        $g = New @{ Name = "${P}sb"; DiskSizeBytes = 8MB; Firmware = 'Uefi'; SecureBoot = $true; Start = $true }
        $g.State | Should -Be 'Running'
        $xml = (Invoke-KvmLabCommand kvm1 virsh, dumpxml, "${P}sb") -join "`n"
        $xml | Should -Match "<loader readonly='yes' secure='yes' type='pflash'[^>]*>/usr/share/OVMF/OVMF_CODE(_4M)?\.(ms|secboot)\.fd</loader>"
        $xml | Should -Match "<smm state='on'/>"
    }

    It 'starts a guest with an emulated TPM 2.0 that libvirt runs with swtpm' {
        $g = New @{ Name = "${P}tpm"; DiskSizeBytes = 8MB; Firmware = 'Uefi'; Tpm = $true; Start = $true }
        $g.State | Should -Be 'Running'
        (Invoke-KvmLabCommand kvm1 virsh, dumpxml, "${P}tpm") -join "`n" | Should -Match "(?s)<tpm model='tpm-crb'>\s*<backend type='emulator' version='2\.0'"
        Invoke-KvmLabCommand kvm1 'sh', '-c', "ps -o args= -C swtpm | grep -c ' --tpmstate dir=/var/lib/libvirt/swtpm/$($g.Uuid)/'" | Should -Be '1'
        $script:TpmState = "/var/lib/libvirt/swtpm/$($g.Uuid)"
    }

    It 'removes UEFI guests with their NVRAM files and TPM state' {
        Remove-KvmGuest -Session $S -Name "${P}uefi", "${P}sb", "${P}tpm" -Force -DeleteStorage -Confirm:$false
        Invoke-KvmLabCommand kvm1 'sh', '-c', "ls /var/lib/libvirt/qemu/nvram/ | grep -c '^${P}' || true" | Should -Be '0'
        Invoke-KvmLabCommand kvm1 'sh', '-c', "test -e $TpmState && echo left || echo gone" | Should -Be 'gone'
        Volumes | Should -Not -Contain "${P}uefi.qcow2"
    }

    It 'refuses hostile names before anything runs: <Name>' -ForEach @(
        @{ Name = "x'; touch /tmp/pwned #" }, @{ Name = 'x$(id)' }, @{ Name = "x`nid" }, @{ Name = 'gäst' }, @{ Name = '-rf' }, @{ Name = '../etc' }
    ) {
        New-KvmGuest -Session $S -Name $Name -MemoryBytes 64MB -DiskSizeBytes 8MB -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'InvalidArgument,*'
        Invoke-KvmLabCommand kvm1 'sh', '-c', 'ls /tmp/pwned* 2>/dev/null | wc -l' | Should -Be '0'
    }

    It 'removes what it made when a later step fails (the guest cannot start), and nothing else' {
        $before = @(Invoke-KvmLabCommand kvm1 virsh, list, --all, --name | Where-Object { $_ })
        # A kernel the guest cannot boot: define works, start fails.
        New-KvmGuest -Session $S -Name "${P}fail" -MemoryBytes 64MB -DiskSizeBytes 8MB -KernelPath /etc/hostname -Start -WarningAction SilentlyContinue -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'GuestCreationFailed,*'
        $failed[0].Exception.Message | Should -Match "failed at 'Start it'"
        $failed[0].Exception.Message | Should -Match 'Everything this call had made was removed'
        Guest "${P}fail" | Should -BeNullOrEmpty
        Volumes | Should -Not -Contain "${P}fail.qcow2"
        @(Invoke-KvmLabCommand kvm1 virsh, list, --all, --name | Where-Object { $_ }) | Should -Be $before
    }

    It 'creates several guests from a YAML spec, in parallel' {
        $spec = Join-Path ([IO.Path]::GetTempPath()) ("kvmps-spec-" + [guid]::NewGuid().ToString('N') + '.yaml')
        @"
defaults:
  memoryBytes: 64MB
  diskSizeBytes: 8MB
  network: default
guests:
  - name: ${P}spec1
    processorCount: 2
  - name: ${P}spec2
    dataDiskSizeBytes: [4MB]
    cloudInit:
      user: ops
      sshPublicKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKvmpsTestKeyOnlyForTests ops@test
"@ | Set-Content -Path $spec
        try {
            $made = New-KvmGuest -Session $S -Spec $spec -PassThru -WarningAction SilentlyContinue
        }
        finally { Remove-Item $spec }
        ($made.Name | Sort-Object) | Should -Be @("${P}spec1", "${P}spec2")
        ($made | Where-Object Name -eq "${P}spec1").ProcessorCount | Should -Be 2
        ($made | Where-Object Name -eq "${P}spec2").Disks.Target | Should -Be @('vda', 'vdb', 'sda')
    }

    It 'refuses a broken spec with the line and column, and creates nothing' {
        $spec = Join-Path ([IO.Path]::GetTempPath()) ("kvmps-spec-" + [guid]::NewGuid().ToString('N') + '.yaml')
        "guests:`n  - name: ${P}bad`n    memroyBytes: 64MB`n" | Set-Content -Path $spec
        try {
            { New-KvmGuest -Session $S -Spec $spec -ErrorAction Stop } | Should -Throw -ErrorId 'GuestSpecInvalid,KvmPS.Commands.NewKvmGuestCommand'
            try { New-KvmGuest -Session $S -Spec $spec -ErrorAction Stop } catch { $_.Exception.Message | Should -BeLike "*:3:5: unknown key 'memroyBytes'; did you mean 'memoryBytes'?*" }
        }
        finally { Remove-Item $spec }
        Guest "${P}bad" | Should -BeNullOrEmpty
    }

    It 'starts the guest and waits until it runs' {
        $g = New @{ Name = "${P}run"; DiskSizeBytes = 8MB; Wait = $true; Autostart = $true }
        $g.State | Should -Be 'Running'
        $g.Autostart | Should -BeTrue
    }

    It 'starts a real guest and returns it once it has its DHCP address (-WaitForIPAddress)' {
        $tiny = Initialize-TinyGuest
        $g = New-KvmGuest -Session $S -Name "${P}os" -MemoryBytes 128MB -KernelPath $tiny.Kernel -InitrdPath $tiny.Initrd -KernelArguments $tiny.Cmdline `
            -Network default -Graphics None -WaitForIPAddress -Timeout 180 -PassThru -WarningAction SilentlyContinue
        $g.State | Should -Be 'Running'
        $g.IPAddresses[0] | Should -Match '^192\.168\.122\.\d+$'
        # The same address as the host's DHCP server leased to the guest's MAC.
        $lease = (Invoke-KvmLabCommand kvm1 virsh, net-dhcp-leases, default, --mac, $g.NetworkAdapters[0].MacAddress) -join "`n"
        $lease | Should -Match ([regex]::Escape($g.IPAddresses[0]) + '/')
    }
}
