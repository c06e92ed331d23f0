using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Security;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using CommCare.Models;

namespace CommCare.Client.Api
{
    /// <summary>One create of a bulk run: the row it came from, and once finished the worker as created or why not.</summary>
    public sealed class CCMobileWorkerCreate
    {
        public CCMobileWorkerCreate(int row, string fullName, object target, CCMobileWorkerSpec spec, string? generatedPassword)
        {
            Row = row; FullName = fullName; Target = target; Spec = spec; GeneratedPassword = generatedPassword;
        }

        public int Row { get; }
        public string FullName { get; }
        /// <summary>What an error names as its target (the input row without its password).</summary>
        public object Target { get; }
        public CCMobileWorkerSpec Spec { get; }
        public string? GeneratedPassword { get; }
        /// <summary>The worker as created (set when the create succeeded).</summary>
        public CCMobileWorker? Worker { get; internal set; }
        /// <summary>The answer was lost and the worker was found by looking its user name up.</summary>
        public bool Recovered { get; internal set; }
        public CCApiException? Error { get; internal set; }
    }

    /// <summary>
    /// The machinery of a bulk create (New-CCMobileWorker): the project's existing user names (for -SkipExisting),
    /// creates one at a time or with up to <c>parallel</c> in flight on worker threads, and the finished ones handed
    /// back to the caller's thread, which alone writes to the pipeline. A create is never blindly re-sent: a lost
    /// answer is resolved by looking the user name up (<see cref="UsersApi.Create"/>).
    /// </summary>
    public sealed class MobileWorkerCreator
    {
        private readonly UsersApi _users;
        private readonly string _domain;
        private readonly int _parallel;
        private readonly CancellationToken _token;
        private readonly ConcurrentQueue<CCMobileWorkerCreate> _done = new ConcurrentQueue<CCMobileWorkerCreate>();
        private readonly List<Task> _inflight = new List<Task>();
        private SemaphoreSlim? _slots;
        private Dictionary<string, CCMobileWorker>? _existing;

        public MobileWorkerCreator(CommCareClient client, int parallel)
        {
            if (client == null) throw new ArgumentNullException(nameof(client));
            _users = client.Users;
            _domain = client.Session.Domain;
            _parallel = Math.Max(1, parallel);
            _token = client.Token;
        }

        /// <summary>Whether the project already has this (complete) user name; every worker is read once, on first use.</summary>
        public bool Exists(string fullName) => (_existing ??= _users.LoadAll()).ContainsKey(fullName);

        /// <summary>Creates the worker: at once with one at a time, else on a worker thread once a slot is free (this
        /// waits for one). The outcome comes back from <see cref="Finished"/>.</summary>
        public void Start(CCMobileWorkerCreate create)
        {
            if (_parallel == 1)
            {
                Run(create);
                _done.Enqueue(create);
                return;
            }
            _slots ??= new SemaphoreSlim(_parallel, _parallel);
            _slots.Wait(_token);
            var slots = _slots;
            _inflight.Add(Task.Run(() =>
            {
                try { Run(create); }
                finally { _done.Enqueue(create); slots.Release(); }
            }));
        }

        private void Run(CCMobileWorkerCreate c)
        {
            try
            {
                var (id, outcome) = _users.Create(c.Spec);
                c.Worker = AsCreated(id, c);
                c.Recovered = outcome == CreateOutcome.Recovered;
            }
            catch (CCApiException ex) { c.Error = ex; }
        }

        /// <summary>The creates finished so far, in the order they finished.</summary>
        public IEnumerable<CCMobileWorkerCreate> Finished()
        {
            while (_done.TryDequeue(out var d)) yield return d;
        }

        /// <summary>Waits for the creates still in flight, handing each back as it finishes (a stop cancels the wait).</summary>
        public IEnumerable<CCMobileWorkerCreate> Drain()
        {
            foreach (var t in _inflight)
            {
                t.Wait(_token);
                foreach (var d in Finished()) yield return d;
            }
            foreach (var d in Finished()) yield return d;
        }

        /// <summary>The worker as the server now holds it, built from what was sent (a create answers only the id).</summary>
        private CCMobileWorker AsCreated(string id, CCMobileWorkerCreate c)
        {
            var s = c.Spec;
            return new CCMobileWorker
            {
                Id = id, Domain = _domain, UserName = c.FullName, FirstName = s.FirstName, LastName = s.LastName,
                Email = s.Email?.ToLowerInvariant(), Language = s.Language,
                PhoneNumbers = s.PhoneNumbers?.Select(p => p.TrimStart('+')).ToArray() ?? Array.Empty<string>(),
                DefaultPhoneNumber = s.PhoneNumbers?.FirstOrDefault()?.TrimStart('+'),
                Groups = s.Groups?.ToArray() ?? Array.Empty<string>(), Locations = s.Locations?.ToArray() ?? Array.Empty<string>(),
                PrimaryLocation = s.PrimaryLocation ?? s.Locations?.FirstOrDefault(), Role = s.Role,
                UserData = s.UserData ?? new Dictionary<string, object?>(), IsActive = true, GeneratedPassword = c.GeneratedPassword,
            };
        }

        /// <summary>A random 16-character password from characters that cannot be misread (no 0/O, 1/l/I).</summary>
        public static string NewPassword()
        {
            const string chars = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%+-=?";
            var bytes = new byte[16];
            using (var rng = RandomNumberGenerator.Create()) rng.GetBytes(bytes);
            var c = new char[16];
            for (int i = 0; i < c.Length; i++) c[i] = chars[bytes[i] % chars.Length];
            return new string(c);
        }

        public static SecureString ToSecure(string s)
        {
            var secure = new SecureString();
            foreach (char ch in s) secure.AppendChar(ch);
            secure.MakeReadOnly();
            return secure;
        }
    }
}
