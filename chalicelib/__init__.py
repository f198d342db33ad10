"""The CfP application's code: everything here ships to Lambda."""
