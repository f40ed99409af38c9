using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;
using KvmPS.Guests;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.EventEmitters;

namespace KvmPS.Yaml;

/// <summary>
/// Writes "#cloud-config" user-data with YamlDotNet's serializer. Every text value that is not
/// obviously a plain word or path is double-quoted, so cloud-init's YAML 1.1 parser (PyYAML) reads
/// back exactly the text given: "yes", "0755", "2024-01-01", "a: b" or "key # comment" stay strings.
/// </summary>
internal static class CloudConfigWriter
{
    private const string Header = "#cloud-config\n";

    private static readonly ISerializer Serializer = new SerializerBuilder()
        .WithNewLine("\n")
        .WithIndentedSequences()
        .DisableAliases()
        .WithEventEmitter(next => new QuotingEventEmitter(next))
        .Build();

    public static string Write(string hostName, CloudInitRequest request)
    {
        if (hostName == null)
        {
            throw new ArgumentNullException(nameof(hostName));
        }

        if (request == null)
        {
            throw new ArgumentNullException(nameof(request));
        }

        bool password = request.PasswordHash != null;
        var config = new Dictionary<string, object> { ["hostname"] = hostName };
        if (request.User != null)
        {
            var user = new Dictionary<string, object>
            {
                ["name"] = request.User,
                ["shell"] = "/bin/bash",
                ["sudo"] = "ALL=(ALL) NOPASSWD:ALL",
            };
            if (password)
            {
                user["lock_passwd"] = false;
                user["passwd"] = request.PasswordHash!;
            }

            if (request.SshPublicKeys.Count > 0)
            {
                user["ssh_authorized_keys"] = new List<string>(request.SshPublicKeys);
            }

            config["users"] = new List<object> { user };
        }
        else
        {
            // The image's default user (ubuntu, fedora, debian, cloud-user...).
            if (request.SshPublicKeys.Count > 0)
            {
                config["ssh_authorized_keys"] = new List<string>(request.SshPublicKeys);
            }

            if (password)
            {
                // cloud-init's set_passwords treats a "password" that looks like a crypt hash as one.
                config["password"] = request.PasswordHash!;
                config["chpasswd"] = new Dictionary<string, object> { ["expire"] = false };
            }
        }

        if (password)
        {
            config["ssh_pwauth"] = true;
        }

        return Header + Serializer.Serialize(config);
    }

    /// <summary>Double-quotes every string that is not a safe plain scalar in both YAML 1.1 and 1.2.</summary>
    private sealed class QuotingEventEmitter : ChainedEventEmitter
    {
        private static readonly Regex SafePlain = new("^[A-Za-z/][A-Za-z0-9_./-]*\\z", RegexOptions.CultureInvariant);

        private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
        {
            "y", "n", "yes", "no", "on", "off", "true", "false", "null",
        };

        public QuotingEventEmitter(IEventEmitter next)
            : base(next)
        {
        }

        public override void Emit(ScalarEventInfo eventInfo, IEmitter emitter)
        {
            if (eventInfo.Source.Value is string text && (!SafePlain.IsMatch(text) || Keywords.Contains(text)))
            {
                eventInfo.Style = ScalarStyle.DoubleQuoted;
            }

            base.Emit(eventInfo, emitter);
        }
    }
}
