package com.acme.accounts;

public class Account {
    private String username;
    private String password;
    private char[] passphrase;

    public String getPassword() { return password; }

    public void setPassword(String password) { this.password = password; }

    public boolean matches(String password) {
        return encoder.matches(password, this.password);
    }
}
