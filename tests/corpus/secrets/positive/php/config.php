<?php
define('AUTH_KEY', '⟦django#2⟧');
$db_password = '⟦=Php-Maria-2023⟧';

return [
    'mail' => [
        'driver' => 'smtp',
        'username' => 'noreply@acme.io',
        'password' => '⟦=Php-Smtp-Relay7⟧',
    ],
    'services' => ['mailchimp' => ['key' => '⟦mailchimp⟧']],
];
