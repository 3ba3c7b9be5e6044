@echo off
rem cairn, Cairn's command line, for an installed app (Windows): it runs
rem the app in CLI mode (--cli -- COMMAND ..., handled by the app's main
rem entry before any window). Installed as resources\bin\cairn.cmd; add that
rem folder to PATH to type cairn anywhere (README). A batch file waits for
rem the app and passes on its exit code.
"%~dp0..\..\Cairn.exe" --cli -- %*
exit /b %ERRORLEVEL%
