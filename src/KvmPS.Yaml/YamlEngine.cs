using System;
using System.Collections.Generic;
using KvmPS.Guests;

namespace KvmPS.Yaml;

/// <summary>
/// The module's YAML work, with YamlDotNet kept inside this assembly. Created by reflection by
/// IsolatedDependencies.Yaml; only KvmPS's own types cross the boundary.
/// </summary>
internal sealed class YamlEngine : IYamlEngine
{
    /// <summary>
    /// Reads a -Spec file into one request per guest. Shapes: a mapping with a <c>guests</c> list
    /// (and optionally <c>defaults</c>, a guest mapping without <c>name</c> applied under every guest,
    /// cloudInit merged key by key), a top-level list of guests, or a single guest mapping.
    /// Keys are New-KvmGuest's parameter names in any case, cloud-init settings under
    /// <c>cloudInit</c> (user, sshPublicKey, password, passwordHash, userData, networkConfig).
    /// A plain-text <c>password</c> is turned into a SHA-512 crypt hash at once. Sizes take
    /// KB/MB/GB/TB (1024-based); booleans are YAML 1.2's true/false; null or an absent key means the
    /// default. Only host-independent checks are made here (paths on the host and names already
    /// in use are the cmdlet's); guest names must be unique within the file.
    /// </summary>
    /// <exception cref="GuestSpecException">At the line and column of the first problem.</exception>
    public IReadOnlyList<GuestRequest> ReadGuestSpecs(string yaml, string source, string baseDirectory)
    {
        if (yaml == null)
        {
            throw new ArgumentNullException(nameof(yaml));
        }

        return new SpecReader(source ?? "spec", baseDirectory ?? Environment.CurrentDirectory).Read(yaml);
    }

    /// <summary>
    /// "#cloud-config" user-data: the hostname, and either a <c>users</c> entry for
    /// <see cref="CloudInitRequest.User"/> (bash, passwordless sudo, its keys and password hash) or,
    /// without a user, the keys and password of the image's default user. With a password hash,
    /// password logins over SSH are enabled (<c>ssh_pwauth: true</c>).
    /// Not used when <see cref="CloudInitRequest.UserData"/> is set: the cmdlet then seeds that file
    /// as it is, and User, SshPublicKeys and PasswordHash play no part.
    /// </summary>
    public string CloudConfig(string hostName, CloudInitRequest request) => CloudConfigWriter.Write(hostName, request);
}
