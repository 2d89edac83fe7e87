package vault

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// TPM seals small secrets to the box's TPM 2.0: a sealed blob opens only
// on the same chip (and, with systemd-creds, the same machine). Chosen at
// run time (DetectTPM); tests use a fake.
type TPM interface {
	Seal(secret []byte) ([]byte, error)
	Unseal(blob []byte) ([]byte, error)
}

// tpmDevice is the kernel's TPM resource manager.
const tpmDevice = "/dev/tpmrm0"

// ErrNoTPM: the box has no usable TPM 2.0.
var ErrNoTPM = errors.New("vault: no TPM 2.0 on this box (" + tpmDevice + ") or no systemd-creds")

// DetectTPM returns the box's TPM through systemd-creds (`systemd-creds
// encrypt --with-key=tpm2`), or ErrNoTPM. No Go TPM library is available
// to this project's builds, and systemd-creds is on every systemd box.
func DetectTPM() (TPM, error) {
	if _, err := os.Stat(tpmDevice); err != nil {
		return nil, ErrNoTPM
	}
	path, err := exec.LookPath("systemd-creds")
	if err != nil {
		return nil, ErrNoTPM
	}
	return systemdCreds{path: path}, nil
}

// systemdCreds seals with `systemd-creds encrypt --with-key=tpm2`.
type systemdCreds struct{ path string }

const credName = "xanode-keyslot"

func (s systemdCreds) run(args []string, in []byte) ([]byte, error) {
	cmd := exec.Command(s.path, args...)
	cmd.Stdin = bytes.NewReader(in)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("vault: systemd-creds %s: %w: %s", args[0], err, bytes.TrimSpace(errb.Bytes()))
	}
	return out.Bytes(), nil
}

func (s systemdCreds) Seal(secret []byte) ([]byte, error) {
	return s.run([]string{"encrypt", "--with-key=tpm2", "--name=" + credName, "-", "-"}, secret)
}

func (s systemdCreds) Unseal(blob []byte) ([]byte, error) {
	return s.run([]string{"decrypt", "--name=" + credName, "-", "-"}, blob)
}

// PutTPM adds (or remakes) the TPM slot: a random KEK sealed by the TPM.
func (v *Vault) PutTPM(t TPM) error {
	kek := random(keyLen)
	blob, err := t.Seal(kek)
	if err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dk == nil {
		return ErrLocked
	}
	v.put(Slot{Kind: KindTPM, Blob: blob}, kek)
	return v.saveLocked()
}

// UnlockTPM opens the TPM slot.
func (v *Vault) UnlockTPM(t TPM) error {
	v.mu.Lock()
	i := v.find(KindTPM, "")
	if i < 0 {
		v.mu.Unlock()
		return ErrNoSlot
	}
	blob := v.f.Slots[i].Blob
	v.mu.Unlock()
	kek, err := t.Unseal(blob)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrWrongKey, err)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if i = v.find(KindTPM, ""); i < 0 {
		return ErrNoSlot
	}
	return v.unwrap(i, kek)
}
